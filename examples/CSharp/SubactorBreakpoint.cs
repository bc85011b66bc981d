// tractor's examples/debugging/subactor_breakpoint.py: a child pauses in a loop; each pause takes the tree's terminal
// lock and opens a REPL on the root's terminal ('c' continues, 'q' throws DebuggerQuitError, which climbs to the root
// like any error). tractor's loop is endless; this one pauses three times and returns, so the example exits 0.
namespace TractorNet.Examples;

static class SubactorBreakpoint
{
    public static readonly Example Example = new(
        "subactor-breakpoint",
        "Debugger: a child pauses three times; each 'c' continues (run it in a terminal).",
        Run);

    /// <summary>Pauses three times, giving the REPL the loop counter (<c>p i</c>, <c>args</c>).</summary>
    public static async Task<int> BreakpointForever()
    {
        for (var i = 1; i <= 3; i++)
        {
            await Task.Delay(100);
            await Tractor.Pause(new { i });
        }
        return 3;
    }

    static async Task Run(string[] args)
    {
        try
        {
            var pauses = await Tractor.OpenNursery(async n =>
            {
                var p = await n.RunInActor(BreakpointForever, name: "breakpoint_forever");
                return await p.Result();
            }, debugMode: true);
            Console.WriteLine($"breakpoint_forever paused {pauses} times and returned");
        }
        catch (RemoteActorError e) when (e.BoxedType == typeof(DebuggerQuitError))
        {
            // 'q' in the child's REPL: the tree ended with the error, as it would with any
            Console.Error.WriteLine(e.Message);
            Environment.Exit(1);
        }
    }
}
