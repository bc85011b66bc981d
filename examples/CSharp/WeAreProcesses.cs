// tractor's `we_are_processes.py`: one actor per core, each hanging until cancelled; the root raises and the whole
// process tree is torn down (no zombies) before the error surfaces.
using System.Diagnostics;

namespace TractorNet.Examples;

static class WeAreProcesses
{
    public static readonly Example Example = new(
        "we-are-processes",
        "One actor per core; the root raises and the whole tree is reaped.",
        Run);

    /// <summary>Announces itself, then sleeps forever (until its actor is cancelled).</summary>
    public static async Task Target()
    {
        Console.WriteLine($"Yo, i'm '{Tractor.CurrentActor.Name}' running in pid {Environment.ProcessId}");
        Console.Out.Flush();
        await Task.Delay(Timeout.Infinite, CancelScope.CurrentToken);
    }

    static async Task Run(string[] args)
    {
        var sw = Stopwatch.StartNew();
        var pids = new List<int>();
        try
        {
            await Tractor.OpenNursery(async n =>
            {
                for (var i = 0; i < Environment.ProcessorCount; i++)
                {
                    var portal = await n.RunInActor(Target, name: $"worker_{i}");
                    pids.Add(portal.Pid);
                }
                Console.WriteLine("This process tree will self-destruct in 1 sec...");
                await Task.Delay(1000);
                // raise an error in the root actor and trigger reaping of all minions
                throw new Exception("Self Destructed");
            });
            throw new InvalidOperationException("the nursery should have raised the root's error");
        }
        catch (Exception e) when (e.Message == "Self Destructed")
        {
            // The nursery raises only once every child has been reaped: none of the pids may be left, not even a zombie.
            var alive = pids.Where(pid => Directory.Exists($"/proc/{pid}")).ToList();
            if (alive.Count > 0) throw new InvalidOperationException($"zombies left behind: {string.Join(", ", alive)}");
            Console.WriteLine($"Zombies Contained ({pids.Count} actors reaped, {sw.ElapsedMilliseconds} ms in all)");
        }
    }
}
