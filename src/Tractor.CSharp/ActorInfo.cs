namespace TractorNet;

/// <summary>Facts about the actor the calling code runs in (<see cref="Tractor.CurrentActor"/>).</summary>
public sealed class ActorInfo
{
    internal ActorInfo(ActorId id, ActorId? parent, CancellationToken token)
    {
        Id = id;
        Parent = parent;
        CancellationToken = token;
    }

    /// <summary>The actor's identity: its name and unique id.</summary>
    public ActorId Id { get; }

    /// <summary>The actor's name (<c>"root"</c> for the root actor; a child's given or function name).</summary>
    public string Name => Id.Name;

    /// <summary>The actor's unique id.</summary>
    public string Uid => Id.Uid;

    /// <summary>The actor's OS process id.</summary>
    public int Pid => Environment.ProcessId;

    /// <summary>The parent actor's identity, or <c>null</c> at the root.</summary>
    public ActorId? Parent { get; }

    /// <summary>The registry address this actor uses for discovery (<c>TRACTOR_REGISTRY</c>, or the default Unix
    /// socket in the per-user runtime directory).</summary>
    public string Registry => TractorNet.Discovery.Registries.address();

    /// <summary>Whether this is the root actor of its tree.</summary>
    public bool IsRoot => Parent is null;

    /// <summary>Cancelled when this actor is told to cancel (CancelActor, SIGTERM, Ctrl-C at the root).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// A portal to this actor itself (tractor's local portal): <c>Run</c> calls the function here, in this process;
    /// opening a context or stream with oneself, or cancelling oneself through it, throws
    /// <see cref="InvalidOperationException"/>.
    /// </summary>
    public ActorPortal Portal => new(TractorNet.Actor.portal(), CancellationToken);

    /// <inheritdoc/>
    public override string ToString() => Parent is null ? $"{Id} (root, pid {Pid})" : $"{Id} (child of {Parent}, pid {Pid})";
}
