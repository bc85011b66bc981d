// tractor's examples/debugging/root_actor_error.py: an error in the root actor's nursery opens the crash REPL in the
// root ('ex', 'bt'); 'c' or 'q' lets it propagate. The example then checks it got its own error back.
namespace TractorNet.Examples;

static class RootActorError
{
    public static readonly Example Example = new(
        "root-actor-error",
        "Debugger: the root actor fails; its post-mortem REPL opens (run it in a terminal).",
        Run);

    static async Task Run(string[] args)
    {
        try
        {
            await Tractor.OpenNursery(n => throw new InvalidOperationException("assert 0"), debugMode: true); // tractor's `assert 0`
            throw new Exception("the root's error was lost");
        }
        catch (InvalidOperationException e) when (e.Message == "assert 0")
        {
            Console.WriteLine($"the root's error propagated after its post-mortem: {e.Message}");
        }
    }
}
