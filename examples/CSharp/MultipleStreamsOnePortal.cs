// tractor's `multiple_streams_one_portal.py`: several streams at once over one portal. Three tasks each iterate their
// own run of a remote generator while two more hold a two-way context with the same actor; every stream gets all of
// its own items, in order.
namespace TractorNet.Examples;

static class MultipleStreamsOnePortal
{
    public static readonly Example Example = new(
        "multiple-streams-one-portal",
        "Three one-way streams and two contexts at once over one portal.",
        Run);

    /// <summary>A one-way stream of 0..seed-1 (each iteration runs it anew).</summary>
    public static async IAsyncEnumerable<int> StreamData(int seed)
    {
        for (var i = 0; i < seed; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    /// <summary>Echoes every item back with its tag until the caller stops; returns how many.</summary>
    public static async Task<int> Echo(Context<string> ctx, string tag)
    {
        await ctx.Started(tag);
        await using var stream = ctx.OpenStream<string, string>();
        var count = 0;
        await foreach (var msg in stream)
        {
            await stream.Send($"{tag}{msg}");
            count++;
        }
        return count;
    }

    /// <summary>One task's one-way stream: every item, in order.</summary>
    static async Task OneWay(ActorPortal portal, int i, CancellationToken ct)
    {
        var items = new List<int>();
        await foreach (var x in portal.OpenStream(StreamData, 1000).WithCancellation(ct)) items.Add(x);
        var inOrder = items.SequenceEqual(Enumerable.Range(0, 1000));
        Console.WriteLine($"stream {i}: {items.Count} items, in order: {inOrder}");
        if (!inOrder) throw new InvalidOperationException($"stream {i} lost or reordered items");
    }

    /// <summary>One task's context: sends 100 words, stops, reads the 100 echoes, then the count.</summary>
    static async Task TwoWay(ActorPortal portal, int i, CancellationToken ct)
    {
        await using var ctx = await portal.OpenContextAsync<string, string, int>(Echo, $"ctx{i}:", cancellationToken: ct);
        var tag = ctx.First;
        await using var stream = ctx.OpenStream<string, string>();
        for (var n = 1; n <= 100; n++) await stream.Send(n.ToString());   // the echoes wait in our buffer meanwhile
        await stream.Stop();                                                // the callee's loop ends after these
        var echoes = new List<string>();
        await foreach (var echo in stream) echoes.Add(echo);
        var count = await ctx.Result();
        var inOrder = echoes.SequenceEqual(Enumerable.Range(1, 100).Select(n => $"{tag}{n}"));
        Console.WriteLine($"context {i}: {count} echoes, in order: {inOrder}");
        if (!inOrder || count != 100) throw new InvalidOperationException($"context {i} lost items");
    }

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var portal = await n.StartActor("stream_boi", [typeof(MultipleStreamsOnePortal)]);
            await TaskNursery.OpenAsync(tasks =>
            {
                foreach (var i in new[] { 1, 2, 3 }) tasks.StartSoon(ct => OneWay(portal, i, ct));
                foreach (var i in new[] { 1, 2 }) tasks.StartSoon(ct => TwoWay(portal, i, ct));
                return Task.CompletedTask;
            });
            await portal.CancelActor();
        });
}
