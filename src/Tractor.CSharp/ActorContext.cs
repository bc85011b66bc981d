using Microsoft.FSharp.Core;

namespace TractorNet;

/// <summary>
/// A context opened with <c>portal.OpenContextAsync(...)</c> (the caller's side; tractor's <c>open_context</c>):
/// <see cref="First"/> is the value the callee passed to <c>ctx.Started</c>; <see cref="OpenStream{TSend, TRecv}"/>
/// opens the bidirectional stream; <see cref="Result()"/> waits for the context function's value. Leave it with
/// <c>await using</c>: if the function has not ended it is cancelled and awaited; an error it raised that nobody saw
/// yet is raised there (<see cref="RemoteActorError"/>, or <see cref="ContextCancelledError"/> when the callee or a
/// third actor cancelled it); a cancellation this side asked for (<see cref="CancelAsync"/>, the token) is absorbed.
/// </summary>
/// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
/// <typeparam name="TResult">The context function's result type.</typeparam>
public sealed class ActorContext<TStarted, TResult> : IAsyncDisposable
{
    readonly PortalContext<TStarted, TResult> inner;
    readonly ContextLifetime lifetime;

    internal ActorContext(PortalContext<TStarted, TResult> inner, CallToken token)
    {
        this.inner = inner;
        lifetime = new ContextLifetime(token);
    }

    /// <summary>The value the callee passed to <c>ctx.Started</c>.</summary>
    public TStarted First => inner.First;

    /// <summary>The actor running the context function.</summary>
    public ActorId Actor => inner.Actor;

    /// <summary>Cancelled when the context ends abnormally (the callee failed or was cancelled, the connection broke,
    /// a stream overran under <see cref="Overruns.Fail"/>) or is cancelled: pass it to local work that should stop
    /// with the context.</summary>
    public CancellationToken Token => inner.Token;

    /// <summary>
    /// Opens this side's bidirectional stream: <c>Send</c> items of <typeparamref name="TSend"/>, <c>await foreach</c>
    /// the <typeparamref name="TRecv"/> items the callee sends (the callee opens <c>OpenStream&lt;TRecv, TSend&gt;</c>).
    /// Dispose it (<c>await using</c>) to stop sending; <c>Subscribe()</c> fans it out to several local readers.
    /// </summary>
    public MsgStream<TSend, TRecv> OpenStream<TSend, TRecv>() => inner.OpenStream<TSend, TRecv>();

    /// <summary>
    /// The context function's value, once it has returned. Throws <see cref="RemoteActorError"/> if it failed,
    /// <see cref="ContextCancelledError"/> if it was cancelled, <see cref="TransportClosedError"/> if its
    /// actor went away.
    /// </summary>
    public Task<TResult> Result() => inner.Result();

    /// <summary>Like <see cref="Result()"/>; <paramref name="cancellationToken"/> stops the wait (not the context).</summary>
    public Task<TResult> Result(CancellationToken cancellationToken) => inner.Result().WaitAsync(cancellationToken);

    /// <summary>Asks the callee to cancel the context function and waits until it has ended. <see cref="Result()"/>,
    /// the stream's iteration and its <c>Send</c> then throw <see cref="ContextCancelledError"/> naming this actor
    /// (code after an <c>await foreach</c> does not run as if the stream had completed); leaving the context absorbs
    /// it (does not throw it again).</summary>
    public Task CancelAsync() => inner.Cancel();

    /// <summary>Leaves the context (see the type's summary).</summary>
    public ValueTask DisposeAsync() => lifetime.Leave(inner.DisposeAsync);

    /// <inheritdoc/>
    public override string ToString() => $"ActorContext({inner.Actor})";
}

/// <summary>
/// A context whose function returns a <see cref="Task"/> without a value: like
/// <see cref="ActorContext{TStarted, TResult}"/>, and <see cref="Result()"/> completes when the function has finished.
/// </summary>
/// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
public sealed class ActorContext<TStarted> : IAsyncDisposable
{
    readonly PortalContext<TStarted, Unit> inner;
    readonly ContextLifetime lifetime;

    internal ActorContext(PortalContext<TStarted, Unit> inner, CallToken token)
    {
        this.inner = inner;
        lifetime = new ContextLifetime(token);
    }

    /// <inheritdoc cref="ActorContext{TStarted, TResult}.First"/>
    public TStarted First => inner.First;

    /// <inheritdoc cref="ActorContext{TStarted, TResult}.Actor"/>
    public ActorId Actor => inner.Actor;

    /// <inheritdoc cref="ActorContext{TStarted, TResult}.Token"/>
    public CancellationToken Token => inner.Token;

    /// <inheritdoc cref="ActorContext{TStarted, TResult}.OpenStream{TSend, TRecv}"/>
    public MsgStream<TSend, TRecv> OpenStream<TSend, TRecv>() => inner.OpenStream<TSend, TRecv>();

    /// <summary>Completes when the context function has finished; throws like
    /// <see cref="ActorContext{TStarted, TResult}.Result()"/>.</summary>
    public Task Result() => inner.Result();

    /// <summary>Like <see cref="Result()"/>; <paramref name="cancellationToken"/> stops the wait (not the context).</summary>
    public Task Result(CancellationToken cancellationToken) => inner.Result().WaitAsync(cancellationToken);

    /// <inheritdoc cref="ActorContext{TStarted, TResult}.CancelAsync"/>
    public Task CancelAsync() => inner.Cancel();

    /// <inheritdoc cref="ActorContext{TStarted, TResult}.DisposeAsync"/>
    public ValueTask DisposeAsync() => lifetime.Leave(inner.DisposeAsync);

    /// <inheritdoc/>
    public override string ToString() => $"ActorContext({inner.Actor})";
}

/// <summary>Leaving a context once, then releasing the token it ran under.</summary>
internal sealed class ContextLifetime(CallToken token)
{
    int left;

    public ValueTask Leave(Func<ValueTask> leave) =>
        Interlocked.Exchange(ref left, 1) == 0 ? Run(leave) : ValueTask.CompletedTask;

    async ValueTask Run(Func<ValueTask> leave)
    {
        try
        {
            await leave().ConfigureAwait(false);
        }
        finally
        {
            token.Dispose();
        }
    }
}
