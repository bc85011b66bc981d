namespace TractorNet;

/// <summary>
/// The portal of a <c>RunInActor</c> child whose function produces a <typeparamref name="T"/>:
/// <see cref="Result()"/> is that value.
/// </summary>
/// <typeparam name="T">The function's result type.</typeparam>
public sealed class ActorPortal<T> : ActorPortal
{
    readonly Portal<T> portal;

    internal ActorPortal(Portal<T> portal, CancellationToken nurseryToken) : base(portal, nurseryToken) =>
        this.portal = portal;

    /// <summary>
    /// The function's value, once it has returned. Throws <see cref="RemoteActorError"/> if the function failed and
    /// <see cref="OperationCanceledException"/> if the actor was cancelled first. Valid after the nursery has ended.
    /// </summary>
    public Task<T> Result() => portal.Result();

    /// <summary>Like <see cref="Result()"/>; <paramref name="cancellationToken"/> stops the wait (not the actor).</summary>
    public Task<T> Result(CancellationToken cancellationToken) => portal.Result().WaitAsync(cancellationToken);
}

/// <summary>
/// The portal of a <c>RunInActor</c> child whose function returns a <see cref="Task"/> or <see cref="ValueTask"/>
/// without a value: <see cref="Result()"/> completes when it has finished.
/// </summary>
public sealed class ActorTaskPortal : ActorPortal
{
    readonly Portal<Microsoft.FSharp.Core.Unit> portal;

    internal ActorTaskPortal(Portal<Microsoft.FSharp.Core.Unit> portal, CancellationToken nurseryToken)
        : base(portal, nurseryToken) => this.portal = portal;

    /// <summary>
    /// Completes when the function has finished. Throws <see cref="RemoteActorError"/> if it failed and
    /// <see cref="OperationCanceledException"/> if the actor was cancelled first. Valid after the nursery has ended.
    /// </summary>
    public Task Result() => portal.Result();

    /// <summary>Like <see cref="Result()"/>; <paramref name="cancellationToken"/> stops the wait (not the actor).</summary>
    public Task Result(CancellationToken cancellationToken) => portal.Result().WaitAsync(cancellationToken);
}
