using Microsoft.FSharp.Core;
using TractorNet.Runtime;

namespace TractorNet;

/// <summary>
/// A handle to a child actor (an OS process): call static functions in it with <c>Run</c>, open bidirectional
/// contexts with <c>OpenContextAsync</c> and one-way streams with <c>OpenStream</c>, cancel it with
/// <see cref="CancelActor"/>. <see cref="Nursery.StartActor(string, Type[], LogLevel?)"/> returns one for a daemon;
/// <c>RunInActor</c> returns an <see cref="ActorPortal{T}"/> or <see cref="ActorTaskPortal"/>, which also carry the
/// function's result.
/// </summary>
/// <remarks>
/// Functions are passed as static method groups (<c>portal.Run(Work.Add, 1, 2)</c>) and must be in a type the actor
/// enabled; arguments and results are serialised. A remote failure raises <see cref="RemoteActorError"/>. A call is
/// cancelled (in the actor too) by its <see cref="CancellationToken"/>, the ambient <see cref="CancelScope"/> or the
/// nursery's cancellation.
/// </remarks>
public partial class ActorPortal
{
    readonly Portal portal;
    readonly CancellationToken nurseryToken;

    internal ActorPortal(Portal portal, CancellationToken nurseryToken)
    {
        this.portal = portal;
        this.nurseryToken = nurseryToken;
        lastPid = portal.Pid;
    }

    // The last pid read: a supervised portal follows its actor's restarts, so Pid is read anew.
    int lastPid;

    /// <summary>The actor's identity (name and unique id).</summary>
    public ActorId Actor => portal.Actor;

    /// <summary>The actor's name.</summary>
    public string Name => portal.Name;

    /// <summary>The actor's OS process id (still readable after the process has been reaped; a supervised
    /// actor's portal gives its current process's).</summary>
    public int Pid
    {
        get
        {
            try { return lastPid = portal.Pid; }
            catch (InvalidOperationException) { return lastPid; }
        }
    }

    /// <summary>Whether the actor is a peer reached by discovery (<see cref="Tractor.FindActor"/>), not a child: we
    /// never cancel or reap it, and <see cref="CancelActor"/> throws <see cref="InvalidOperationException"/>.</summary>
    public bool IsPeer => portal.IsPeer;

    /// <summary>
    /// Asks the actor to cancel everything it runs and exit. Completes with <c>true</c> if it acknowledged within the
    /// graceful bound; its process is reaped by the nursery either way (a daemon keeps its nursery open until it is
    /// cancelled).
    /// </summary>
    public Task<bool> CancelActor() => portal.CancelActor();

    /// <inheritdoc/>
    public override string ToString() => portal.ToString();

    async Task<T> Call<T>(PreparedCall call, CancellationToken cancellationToken)
    {
        using var token = CallToken.Of(nurseryToken, cancellationToken);
        var ct = token.Token;
        ct.ThrowIfCancellationRequested();
        try
        {
            return await portal.RunMethod<T>(call, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is not RemoteActorError and not OperationCanceledException)
        {
            // Cancelling the nursery reaps the actor, which can break the connection under a call: that call was
            // cancelled, not failed (the runtime raises TransportClosedError here).
            throw new OperationCanceledException($"the call to actor '{portal.Actor}' was cancelled", e, ct);
        }
    }

    Task<T> CallValue<T>(Delegate function, CancellationToken cancellationToken, params object?[] arguments) =>
        Call<T>(StaticFunction.Prepare(function, typeof(T), arguments), cancellationToken);

    async Task CallVoid(Delegate function, CancellationToken cancellationToken, params object?[] arguments) =>
        await Call<Unit>(StaticFunction.Prepare(function, typeof(Unit), arguments), cancellationToken).ConfigureAwait(false);
}
