// tractor's examples/debugging/multi_daemon_subactors.py: two daemons, one that pauses forever in a stream loop and one
// that raises a NameError-like error. Their REPLs take turns on the root's terminal (the lock is first come, first
// served); the second error climbs to the root, whose post-mortem opens last, once the pausing daemon was cancelled.
namespace TractorNet.Examples;

static class MultiDaemonSubactors
{
    public static readonly Example Example = new(
        "multi-daemon-subactors",
        "Debugger: a daemon pausing forever and a failing one share the terminal (run it in a terminal).",
        Run);

    /// <summary>Yields, then pauses, forever.</summary>
    public static async IAsyncEnumerable<string> BreakpointForever()
    {
        while (true)
        {
            yield return "yo";
            await Tractor.Pause();
        }
    }

    /// <summary>tractor's <c>getattr(doggypants)</c>.</summary>
    public static Task NameError() => throw new MissingMemberException("name 'doggypants' is not defined");

    static async Task Run(string[] args)
    {
        try
        {
            await Tractor.OpenNursery(async n =>
            {
                var p0 = await n.StartActor("bp_forever", [typeof(MultiDaemonSubactors)]);
                var p1 = await n.StartActor("name_error", [typeof(MultiDaemonSubactors)]);

                // the first name error is caught here
                try
                {
                    await p1.Run(NameError);
                }
                catch (RemoteActorError e) when (e.BoxedType == typeof(MissingMemberException))
                {
                    Console.WriteLine($"caught the first {e.TypeName} from '{e.Source.Name}'");
                }

                // the second one propagates to the nursery
                await foreach (var _ in p0.OpenStream(BreakpointForever))
                    await p1.Run(NameError);
            }, debugMode: true);
            throw new Exception("the error was lost");
        }
        catch (RemoteActorError e) when (e.Source.Name == "name_error")
        {
            Console.WriteLine($"the second {e.TypeName} from '{e.Source.Name}' ended the tree");
        }
    }
}
