namespace TractorNet.Examples;

/// <summary>Errors raised in several child actors come back as <see cref="RemoteActorError"/>s naming their source.</summary>
static class RemoteErrorPropagation
{
    public static readonly Example Example = new(
        "remote-error-propagation",
        "Several actors raise at once; the nursery cancels the rest and raises their RemoteActorErrors.",
        Run);

    public static Task<int> AssertErr(int worker) =>
        throw new InvalidOperationException($"assertion failed in worker {worker}");

    static async Task Run(string[] args)
    {
        IReadOnlyList<Exception> errors;
        try
        {
            await Tractor.OpenNursery(async n =>
            {
                var actors = new List<ActorPortal>();
                for (var i = 0; i < 3; i++)
                    actors.Add(await n.StartActor($"actor_{i}", [typeof(RemoteErrorPropagation)]));
                // Call all of them at once from local tasks; the first error cancels everything else in the nursery.
                for (var i = 0; i < actors.Count; i++)
                {
                    var (actor, worker) = (actors[i], i);
                    n.Tasks.StartSoon(ct => actor.Run(AssertErr, worker, ct));
                }
            });
            throw new Exception("the nursery should have raised the actors' errors");
        }
        catch (MultiErrorException e)
        {
            errors = e.InnerExceptions;
        }
        catch (RemoteActorError e)
        {
            errors = [e]; // the other actors were cancelled before they failed
        }

        Console.WriteLine($"caught {errors.Count} error(s):");
        foreach (var e in errors)
        {
            var r = e as RemoteActorError ?? throw new Exception($"not a remote error: {e}");
            Console.WriteLine($"  from {r.Source}: {r.TypeName}: {r.RemoteMessage}");
        }
    }
}
