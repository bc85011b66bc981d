// Broadcast fan-out: one remote stream, many local readers. Each subscription gets its own copy of every item from
// the moment it subscribed; a reader that falls more than the buffer behind gets LaggedError instead of slowing the
// others down.
namespace TractorNet.Examples;

static class StreamingBroadcastFanout
{
    public static readonly Example Example = new(
        "streaming-broadcast-fanout",
        "Fans one stream from an actor out to three local tasks with Subscribe().",
        Run);

    /// <summary>Ticker prices: a finite stream of <paramref name="count"/> quotes.</summary>
    public static async IAsyncEnumerable<double> Quotes(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return 100.0 + Math.Sin(i / 10.0);
        }
    }

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var portal = await n.StartActor("ticker", [typeof(StreamingBroadcastFanout)]);
            var quotes = portal.OpenStream(Quotes, 500);

            // Everyone subscribes before anyone reads; the buffer holds the whole run, so nobody lags here.
            var subscriptions = new[] { "min", "max", "mean" }.Select(name => (name, sub: quotes.Subscribe(500))).ToArray();
            var results = await Task.WhenAll(subscriptions.Select(async s =>
            {
                await using var sub = s.sub;                 // the last one out cancels the remote stream
                var items = new List<double>();
                await foreach (var q in sub) items.Add(q);
                var value = s.name switch { "min" => items.Min(), "max" => items.Max(), _ => items.Average() };
                return (s.name, items.Count, value);
            }));

            foreach (var (name, count, value) in results)
                Console.WriteLine($"{name,-4} over {count} quotes: {value:F3}");
            if (results.Any(r => r.Count != 500)) throw new InvalidOperationException("a reader missed quotes");

            await portal.CancelActor();
        });
}
