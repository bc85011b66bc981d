// tractor's examples/debugging/multi_nested_subactors_error_up_through_nurseries.py, one branch:
// root -> spawn_until_0 -> name_error. The error opens the crash REPL in name_error, then, as a RemoteActorError, in
// spawn_until_0, then in the root: three post-mortems, one per level, each after the one below was continued.
namespace TractorNet.Examples;

static class NestedSubactorError
{
    public static readonly Example Example = new(
        "nested-subactor-error",
        "Debugger: an error's post-mortem REPL opens at each level it climbs (run it in a terminal).",
        Run);

    /// <summary>tractor's <c>getattr(doggypants)</c>: .NET's nearest to Python's NameError.</summary>
    public static Task<int> NameError() => throw new MissingMemberException("name 'doggypants' is not defined");

    /// <summary>A nursery that runs <c>name_error</c> and waits for its result (which fails).</summary>
    public static Task<int> SpawnUntil(int depth) =>
        Tractor.OpenNursery(async n =>
        {
            var p = await n.RunInActor(NameError, name: "name_error");
            return await p.Result();
        });

    static async Task Run(string[] args)
    {
        try
        {
            await Tractor.OpenNursery(async n =>
            {
                var p = await n.RunInActor(SpawnUntil, 0, name: "spawn_until_0");
                return await p.Result();
            }, debugMode: true);
            throw new Exception("the error was lost");
        }
        catch (RemoteActorError e) when (e.Source.Name == "name_error")
        {
            Console.WriteLine($"{e.TypeName} from '{e.Source.Name}' via {string.Join(" -> ", e.RelayPath.Select(a => a.Name))}: {e.RemoteMessage}");
            if (e.TypeName != typeof(MissingMemberException).FullName) throw new Exception("expected the name error");
        }
    }
}
