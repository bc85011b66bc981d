// Actors spawn actors: the root starts two branch actors, each starts two leaves. Every leaf reports the chain of
// actors it ran under; results flow back up the tree, and each nursery reaps its own children before its function
// returns. A branch is an ordinary actor function that opens its own nursery.
namespace TractorNet.Examples;

static class NestedActorTree
{
    public static readonly Example Example = new(
        "nested-actor-tree",
        "root -> 2 branches -> 2 leaves each; results aggregated up the tree.",
        Run);

    static string Me => $"{Tractor.CurrentActor.Name}[{Environment.ProcessId}]";

    /// <summary>A leaf: its chain of ancestors and itself, as "name[pid]".</summary>
    public static Task<string[]> Leaf(string ancestors) => Task.FromResult(new[] { $"{ancestors} > {Me}" });

    /// <summary>Starts two children (leaves when <paramref name="depth"/> is 1, branches otherwise) at once, and
    /// concatenates their results.</summary>
    public static Task<string[]> Branch(int depth, string ancestors) =>
        Tractor.OpenNursery(async n =>
        {
            var here = ancestors == "" ? Me : $"{ancestors} > {Me}";
            var spawns = Enumerable.Range(0, 2).Select(i =>
            {
                var name = $"{Tractor.CurrentActor.Name}.{i}";
                return depth == 1
                    ? n.RunInActor(Leaf, here, name: name)
                    : n.RunInActor(Branch, depth - 1, here, name: name);
            });
            var portals = await Task.WhenAll(spawns);
            var results = await Task.WhenAll(portals.Select(p => p.Result()));
            return results.SelectMany(chains => chains).ToArray();
        });

    static async Task Run(string[] args)
    {
        var chains = await Branch(2, "");
        foreach (var chain in chains) Console.WriteLine(chain);
        var processes = chains.SelectMany(c => c.Split(" > ")).Distinct().Count();
        Console.WriteLine($"{chains.Length} leaves answered; {processes} processes in the tree, all reaped");
        if (chains.Length != 4 || processes != 7) throw new InvalidOperationException("expected 4 leaves under 2 branches");
    }
}
