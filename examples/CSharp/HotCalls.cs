namespace TractorNet.Examples;

/// <summary>
/// Many calls on one daemon, as a service's hot loop makes them. A C# method group names its
/// function with nothing to rebuild per call (the facade describes each method once), so a hot
/// loop costs one message each way per call.
/// </summary>
static class HotCalls
{
    public static readonly Example Example = new(
        "hot-calls",
        "10,000 calls on one daemon, one after another and 100 at a time.",
        Run);

    /// <summary>What the daemon computes.</summary>
    public static Task<long> Square(int x) => Task.FromResult((long)x * x);

    /// <summary>Adds two numbers.</summary>
    public static Task<long> Add(long a, long b) => Task.FromResult(a + b);

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var squarer = await n.StartActor("squarer", enableModules: [typeof(HotCalls)]);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long sum = 0;
            for (var i = 1; i <= 5_000; i++)
            {
                var s = await squarer.Run(Square, i);
                sum = await squarer.Run(Add, sum, s);
            }
            // The same function, 100 calls in flight at a time.
            var squares = await Task.WhenAll(Enumerable.Range(1, 100).Select(i => squarer.Run(Square, i)));
            var expected = Enumerable.Range(1, 5_000).Sum(i => (long)i * i);
            if (sum != expected || squares.Sum() != 338_350L)
                throw new InvalidOperationException($"wrong sums: {sum} (expected {expected}), {squares.Sum()}");
            Console.WriteLine($"10,100 calls in {clock.ElapsedMilliseconds} ms; sum of squares 1..5000 = {sum}");
            await squarer.CancelActor();
        });
}
