using System.Diagnostics;

namespace TractorNet.Examples;

/// <summary>tractor's first example: run a function in a new process, burn CPU in both, collect the child.</summary>
static class SingleFunc
{
    public static readonly Example Example = new(
        "single-func",
        "Runs BurnCpu in a child process while the parent burns too; prints the child's pid.",
        Run);

    /// <summary>Burns a core for a moment (yielding now and then) and returns this process's id.</summary>
    public static async Task<int> BurnCpu()
    {
        var sw = Stopwatch.StartNew();
        var x = 0.0;
        while (sw.ElapsedMilliseconds < 100)
        {
            for (var i = 0; i < 50_000; i++) x += Math.Sqrt(i);
            await Task.Yield();
        }
        return Environment.ProcessId + (x < 0 ? 1 : 0);
    }

    static async Task Run(string[] args)
    {
        int pid;
        await using (var n = await Tractor.OpenNursery())
        {
            var portal = await n.RunInActor(BurnCpu);   // a new OS process runs BurnCpu
            await BurnCpu();                             // burn rubber in the parent too
            pid = await portal.Result();                 // wait for the child's value
            await n.JoinAsync();                         // every child is reaped here
        }
        Console.WriteLine($"Collected subproc {pid}");
        if (pid == Environment.ProcessId) throw new Exception("BurnCpu ran in the parent, not in a child");
    }
}
