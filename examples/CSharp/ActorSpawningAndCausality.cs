// tractor's `actor_spawning_and_causality.py`: the nursery block does not end until the child's function has
// completed, so its result is ready afterwards.
namespace TractorNet.Examples;

static class ActorSpawningAndCausality
{
    public static readonly Example Example = new(
        "actor-spawning-and-causality",
        "RunInActor; the nursery's end waits for the child, then the result is read.",
        Run);

    /// <summary>Runs in the child actor, never in the root.</summary>
    public static Task<string> CellarDoor()
    {
        if (Tractor.CurrentActor.IsRoot) throw new InvalidOperationException("CellarDoor ran in the root actor");
        return Task.FromResult("Dang that's beautiful");
    }

    static async Task Run(string[] args)
    {
        ActorPortal<string> portal;
        await using (var n = await Tractor.OpenNursery())
        {
            portal = await n.RunInActor(CellarDoor, name: "some_linguist");
            await n.JoinAsync();
        }
        // The nursery has ended: 'some_linguist' completed its function and was reaped.
        var said = await portal.Result();
        Console.WriteLine(said);
        if (said != "Dang that's beautiful") throw new InvalidOperationException($"unexpected {said}");
    }
}
