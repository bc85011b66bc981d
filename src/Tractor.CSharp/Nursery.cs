using Microsoft.FSharp.Core;
using TractorNet.Runtime;

namespace TractorNet;

/// <summary>
/// An actor nursery, seen from C#: spawns child actors (each an OS process) and supervises them. It does not end until
/// every child has finished, failed or been cancelled and its process has been reaped; the first error anywhere (the
/// body, a <c>RunInActor</c> child, an escaped portal call) cancels everything in it.
/// Open one with <see cref="Tractor.OpenNursery(Func{Nursery, Task})"/> (the body as a lambda) or
/// <see cref="Tractor.OpenNursery()"/> (<c>await using</c> and <see cref="JoinableNursery.JoinAsync"/>).
/// </summary>
public partial class Nursery
{
    private protected readonly ActorNursery Inner;

    internal Nursery(ActorNursery inner) => Inner = inner;

    /// <summary>The actor this nursery belongs to (the current process's actor).</summary>
    public ActorId Actor => Inner.Actor;

    /// <summary>
    /// Cancelled when the nursery is cancelled: by <see cref="Cancel"/>, an error, or the actor's own cancellation.
    /// Portal calls made through this nursery's portals already observe it; pass it to other work.
    /// </summary>
    public CancellationToken Token => Inner.Token;

    /// <summary>Cancels the nursery: its body (through <see cref="Token"/>) and every child actor (by the cancel
    /// ladder: ask, wait, SIGTERM, wait, SIGKILL). The nursery's own cancellation is not an error.</summary>
    public void Cancel() => Inner.Cancel();

    /// <summary>The nursery's task nursery, to run local tasks beside the actors (their errors are the nursery's).</summary>
    public TaskNursery Tasks => Inner.Tasks;

    /// <summary>
    /// How this nursery starts its actors: <see cref="SpawnMethod.NewProcess"/> by default (or what the environment
    /// variable <c>TRACTOR_SPAWN_METHOD</c> says). Setting <see cref="SpawnMethod.WarmPool"/> starts filling the
    /// nursery's warm pool at once; its idle processes are reaped when the nursery ends. On a view made by
    /// <see cref="WithSpawnMethod"/> this reads the view's method; setting it sets the nursery's.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a defined <see cref="SpawnMethod"/>.</exception>
    public SpawnMethod SpawnMethod
    {
        get => Inner.SpawnMethod;
        set => Inner.SpawnMethod = value;
    }

    /// <summary>
    /// How many idle, pre-started processes the nursery's warm pool keeps (default 2, or <c>TRACTOR_POOL_SIZE</c>).
    /// Set it before the pool starts, i.e. before setting <see cref="SpawnMethod"/> to <see cref="SpawnMethod.WarmPool"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is negative.</exception>
    /// <exception cref="InvalidOperationException">The pool has already started with another size.</exception>
    public int PoolSize
    {
        get => Inner.PoolSize;
        set => Inner.PoolSize = value;
    }

    /// <summary>
    /// This nursery, starting its actors with <paramref name="spawnMethod"/> (a per-actor choice):
    /// <c>await n.WithSpawnMethod(SpawnMethod.WarmPool).RunInActor(Work.Answer)</c>. The view shares everything
    /// else with the nursery, its warm pool included; the nursery's own method is unchanged.
    /// </summary>
    /// <param name="spawnMethod">How the view starts actors.</param>
    /// <exception cref="ArgumentException"><paramref name="spawnMethod"/> is not a defined <see cref="SpawnMethod"/>.</exception>
    public Nursery WithSpawnMethod(SpawnMethod spawnMethod) => new(Inner.WithSpawnMethod(spawnMethod));

    /// <summary>
    /// Starts the nursery's warm pool if it has not started, and completes once <see cref="PoolSize"/> processes
    /// are warm (started, code loaded, waiting for an actor), so that the next spawns from the pool are warm.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the pool goes on filling).</param>
    public Task FillPoolAsync(CancellationToken cancellationToken = default) =>
        Inner.FillPoolAsync().WaitAsync(cancellationToken);

    /// <summary>
    /// Starts a daemon actor named <paramref name="name"/> that serves <see cref="ActorPortal"/> <c>Run</c> calls of
    /// static functions declared in <paramref name="enableModules"/> (nested types included) until it is cancelled
    /// (<see cref="ActorPortal.CancelActor"/> or the nursery's cancellation). The nursery waits for it.
    /// </summary>
    /// <param name="name">The actor's name.</param>
    /// <param name="enableModules">The types whose static methods the actor may run.</param>
    /// <param name="logLevel">The actor's log level; by default the current one.</param>
    /// <exception cref="ArgumentException">The name is empty, or a type has no full name (a generic parameter).</exception>
    public Task<ActorPortal> StartActor(string name, Type[]? enableModules = null, LogLevel? logLevel = null)
    {
        var modules = new string[enableModules?.Length ?? 0];
        for (var i = 0; i < modules.Length; i++)
        {
            var t = enableModules![i] ?? throw new ArgumentException("enableModules contains null.", nameof(enableModules));
            modules[i] = t.FullName
                ?? throw new ArgumentException($"type '{t.Name}' has no full name; enable a concrete type.", nameof(enableModules));
        }
        return StartActor(name, modules, logLevel);
    }

    /// <summary>
    /// Starts a daemon actor like <see cref="StartActor(string, Type[], LogLevel?)"/>, enabling modules by name:
    /// assembly simple names, namespaces, or type full names (nested types as .NET spells them, <c>Outer+Inner</c>).
    /// </summary>
    /// <param name="name">The actor's name.</param>
    /// <param name="enableModules">Assembly names, namespaces or type full names whose static methods the actor may run.</param>
    /// <param name="logLevel">The actor's log level; by default the current one.</param>
    /// <exception cref="ArgumentException">The name or a module name is empty, or a module name names no assembly,
    /// namespace or type this program can load.</exception>
    public async Task<ActorPortal> StartActor(string name, string[] enableModules, LogLevel? logLevel = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(enableModules);
        foreach (var m in enableModules)
            if (string.IsNullOrWhiteSpace(m))
                throw new ArgumentException("enableModules contains an empty name.", nameof(enableModules));
        EnsureOpen();
        var portal = await Inner.StartActorAsync(name, enableModules, logLevel ?? Log.current()).ConfigureAwait(false);
        return new ActorPortal(portal, Inner.Token);
    }

    async Task<ActorPortal<T>> SpawnValue<T>(Delegate function, string? name, params object?[] arguments)
    {
        var call = StaticFunction.Prepare(function, typeof(T), arguments);
        EnsureOpen();
        var portal = await Inner.RunInActorAsync<T>(call, name, Log.current()).ConfigureAwait(false);
        return new ActorPortal<T>(portal, Inner.Token);
    }

    async Task<ActorTaskPortal> SpawnVoid(Delegate function, string? name, params object?[] arguments)
    {
        var call = StaticFunction.Prepare(function, typeof(Unit), arguments);
        EnsureOpen();
        var portal = await Inner.RunInActorAsync<Unit>(call, name, Log.current()).ConfigureAwait(false);
        return new ActorTaskPortal(portal, Inner.Token);
    }

    // Checked before spawning, so that a closed nursery costs no process.
    void EnsureOpen()
    {
        if (Inner.Tasks.IsClosed)
            throw new InvalidOperationException("The nursery is closed (it has joined or ended): it cannot start actors any more.");
    }

    /// <inheritdoc/>
    public override string ToString() => $"Nursery({Inner.Actor})";
}
