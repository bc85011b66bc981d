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
