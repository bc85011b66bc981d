// tractor's `full_fledged_streaming_service.py`: two streamer actors each stream 0..seed-1 to an aggregator actor,
// which merges them, drops the duplicates and streams the unique values up to the root over a context. The
// aggregator's own nursery reaps its streamers.
using System.Diagnostics;
using System.Threading.Channels;

namespace TractorNet.Examples;

static class FullFledgedStreamingService
{
    public static readonly Example Example = new(
        "full-fledged-streaming-service",
        "Two streamers feed an aggregator actor, which streams unique values to the root.",
        Run);

    /// <summary>A streamer's generator.</summary>
    public static async IAsyncEnumerable<int> StreamData(int seed)
    {
        for (var i = 0; i < seed; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    /// <summary>Merges the streamers' streams into one channel and sends each value on the first time it is seen
    /// (adding it to <paramref name="seen"/>).</summary>
    static Task ForwardUnique(ActorPortal[] streamers, int seed, HashSet<int> seen, MsgStream<int, int> stream) =>
        TaskNursery.OpenAsync(async n =>
        {
            var merged = Channel.CreateBounded<int>(500);   // backpressure on both streamers
            var pushers = streamers.Select(p => n.StartChild(async ct =>
            {
                await foreach (var value in p.OpenStream(StreamData, seed).WithCancellation(ct))
                    await merged.Writer.WriteAsync(value, ct);
            })).ToArray();
            n.StartSoon(async _ =>
            {
                await Task.WhenAll(pushers);
                merged.Writer.Complete();
            });

            await foreach (var value in merged.Reader.ReadAllAsync(n.Token))
                if (seen.Add(value)) await stream.Send(value);
        });

    /// <summary>The aggregator: a context function that starts its streamers in its own nursery, signals how many,
    /// streams the unique values to the caller, and returns how many it sent.</summary>
    public static Task<int> Aggregate(Context<int> ctx, int seed) =>
        Tractor.OpenNursery(async n =>
        {
            var streamers = await Task.WhenAll(
                new[] { 1, 2 }.Select(i => n.StartActor($"streamer_{i}", [typeof(FullFledgedStreamingService)])));
            await ctx.Started(streamers.Length);
            var seen = new HashSet<int>();
            // The root only reads: nothing ever comes back on the stream's receiving side.
            await using (var stream = ctx.OpenStream<int, int>())
                await ForwardUnique(streamers, seed, seen, stream);
            await Task.WhenAll(streamers.Select(p => p.CancelActor()));   // daemons serve until cancelled
            return seen.Count;
        });

    /// <summary>The root's side: every unique value, in order.</summary>
    static async Task Consume(ActorPortal aggregator, int seed)
    {
        var clock = Stopwatch.StartNew();
        await using var ctx = await aggregator.OpenContextAsync<int, int, int>(Aggregate, seed);
        Console.WriteLine($"the aggregator is up over {ctx.First} streamers");
        var values = new List<int>();
        await using (var stream = ctx.OpenStream<int, int>())
            await foreach (var value in stream) values.Add(value);    // ends when the aggregator stops sending
        var sent = await ctx.Result();
        Console.WriteLine($"received {values.Count} unique values in {clock.Elapsed.TotalSeconds:F2} s; the aggregator sent {sent}");
        if (!values.SequenceEqual(Enumerable.Range(0, seed)) || sent != seed)
            throw new InvalidOperationException("expected every value once, in order");
    }

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var aggregator = await n.StartActor("aggregator", [typeof(FullFledgedStreamingService)]);
            await Consume(aggregator, 1000);
            await aggregator.CancelActor();
        });
}
