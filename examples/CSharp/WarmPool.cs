using System.Diagnostics;

namespace TractorNet.Examples;

/// <summary>tractor's <c>start_method</c> (Python's forkserver, in spirit): a nursery whose actors come from a warm
/// pool of pre-started processes, handed an identity on demand. One actor of an ordinary nursery can come from the
/// pool too.</summary>
static class WarmPool
{
    public static readonly Example Example = new(
        "warm-pool",
        "Runs ten short actors from a warm pool of three pre-started processes.",
        Run);

    /// <summary>A short piece of work: the square of <paramref name="x"/>, tagged with the pid it ran in.</summary>
    public static Task<string> Square(int x) => Task.FromResult($"{x * x}@{Environment.ProcessId}");

    static async Task Run(string[] args)
    {
        var results = new List<string>();
        var ms = 0.0;
        await Tractor.OpenNursery(async n =>
        {
            n.PoolSize = 3;
            n.SpawnMethod = SpawnMethod.WarmPool;   // starts filling the pool
            await n.FillPoolAsync();                // three processes warm
            var sw = Stopwatch.StartNew();
            for (var x = 1; x <= 10; x++)
            {
                var p = await n.RunInActor(Square, x);
                results.Add(await p.Result());
            }
            ms = sw.Elapsed.TotalMilliseconds;
        });
        // The nursery has ended: every actor and every idle pooled process has been reaped.
        var squares = results.Select(r => int.Parse(r.Split('@')[0])).ToList();
        var pids = results.Select(r => int.Parse(r.Split('@')[1])).Distinct().ToList();
        Console.WriteLine($"squares [{string.Join("; ", squares)}] from {pids.Count} pooled processes in {ms:F0} ms");
        if (!squares.SequenceEqual(Enumerable.Range(1, 10).Select(x => x * x))) throw new Exception("wrong squares");
        if (pids.Count != 10 || pids.Contains(Environment.ProcessId)) throw new Exception("each actor should run in a process of its own");

        // A per-actor choice: this nursery starts new processes, except for this one actor.
        var pooled = await Tractor.OpenNursery(async n =>
        {
            var p = await n.WithSpawnMethod(SpawnMethod.WarmPool).RunInActor(Square, 12);
            return await p.Result();
        });
        Console.WriteLine($"one pooled actor in an ordinary nursery: {pooled}");
    }
}
