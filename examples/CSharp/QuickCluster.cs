namespace TractorNet.Examples;

/// <summary>tractor's <c>quick_cluster.py</c>: a flat cluster of one daemon per core; every worker sleeps until a
/// Ctrl-C-style cancel tears the whole cluster down, and every process is reaped.</summary>
static class QuickCluster
{
    public static readonly Example Example = new(
        "quick-cluster",
        "A cluster of one daemon per core sleeps until a Ctrl-C-style cancel tears it down.",
        Run);

    /// <summary>Sleeps until cancelled.</summary>
    public static async Task<int> SleepyJane()
    {
        await Task.Delay(Timeout.Infinite, CancelScope.CurrentToken);
        return 0;
    }

    /// <summary>Says who answers.</summary>
    public static Task<string> WhoAmI() =>
        Task.FromResult($"{Tractor.CurrentActor.Name} (pid {Environment.ProcessId})");

    static async Task Run(string[] args)
    {
        var pids = new List<int>();
        using var interrupt = new CancellationTokenSource();
        try
        {
            await Tractor.OpenActorCluster([typeof(QuickCluster)], async portals =>
            {
                foreach (var portal in portals.Values)
                {
                    Console.WriteLine($"{await portal.Run(WhoAmI)} is up");
                    pids.Add(portal.Pid);
                }
                var sleeping = portals.Values.Select(p => p.Run(SleepyJane, interrupt.Token)).ToArray();
                // Everyone sleeps: now "Ctrl-C" (a cancel of the whole cluster).
                interrupt.Cancel();
                await Task.WhenAll(sleeping);
                return true;
            });
            throw new InvalidOperationException("the cluster was not cancelled");
        }
        catch (OperationCanceledException)
        {
        }
        var left = pids.Where(pid => Directory.Exists($"/proc/{pid}")).ToList();
        if (left.Count > 0 || pids.Count != Environment.ProcessorCount)
            throw new InvalidOperationException($"the cluster was not torn down (left: {string.Join(' ', left)})");
        Console.WriteLine($"cancelled: all {pids.Count} workers torn down and reaped");
    }
}
