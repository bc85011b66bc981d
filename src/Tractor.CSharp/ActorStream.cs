using TractorNet.Runtime;

namespace TractorNet;

/// <summary>
/// A one-way stream from a function in another actor (<c>portal.OpenStream(Numbers.Count, 10)</c>): iterate it with
/// <c>await foreach</c>. Each iteration runs the function once; its items arrive in order with the stream's flow policy
/// (<see cref="StreamOptions"/>). Breaking out of the loop cancels the remote generator and waits for it; a remote
/// error throws <see cref="RemoteActorError"/> at the loop, after the items sent before it; the actor dying throws
/// <see cref="TransportClosedError"/> there. The iteration's token (<c>WithCancellation</c>), the nursery's and the
/// ambient cancel scope's cancel it with <see cref="OperationCanceledException"/>.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ActorStream<T> : IAsyncEnumerable<T>
{
    readonly RemoteStream<T> inner;
    readonly CancellationToken nurseryToken;
    readonly ActorId actor;

    internal ActorStream(RemoteStream<T> inner, CancellationToken nurseryToken, ActorId actor)
    {
        this.inner = inner;
        this.nurseryToken = nurseryToken;
        this.actor = actor;
    }

    /// <summary>A local fan-out keeping the last 256 items: see <see cref="Subscribe(int)"/>.</summary>
    public BroadcastSubscription<T> Subscribe() => inner.Subscribe();

    /// <summary>
    /// A local fan-out of one run of the stream: each subscription (one per local task) gets its own copy of every item
    /// from now on; a subscriber more than <paramref name="bufferSize"/> items behind the fastest gets
    /// <see cref="LaggedError"/>, the others carry on. The remote function starts at the first read and is cancelled
    /// when the last subscription is disposed (<c>await using</c>).
    /// </summary>
    public BroadcastSubscription<T> Subscribe(int bufferSize) => inner.Subscribe(bufferSize);

    /// <summary>Runs the function in the actor and iterates its items.</summary>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var token = CallToken.Of(nurseryToken, cancellationToken);
        try
        {
            return new Enumerator(inner.GetAsyncEnumerator(token.Token), token, actor);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"ActorStream({actor})";

    sealed class Enumerator(IAsyncEnumerator<T> inner, CallToken token, ActorId actor) : IAsyncEnumerator<T>
    {
        public T Current => inner.Current;

        public ValueTask<bool> MoveNextAsync()
        {
            var next = inner.MoveNextAsync();
            return next.IsCompletedSuccessfully && next.Result ? next : Finish(next);
        }

        async ValueTask<bool> Finish(ValueTask<bool> next)
        {
            var ct = token.Token;
            bool more;
            try
            {
                more = await next.ConfigureAwait(false);
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is not RemoteActorError and not OperationCanceledException)
            {
                // As for Run: cancelling the nursery reaps the actor, which can break the connection under the stream.
                throw new OperationCanceledException($"the stream from actor '{actor}' was cancelled", e, ct);
            }
            // A cancellation this side asked for ends the remote function quietly; the loop must not look complete.
            if (!more) ct.ThrowIfCancellationRequested();
            return more;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                token.Dispose();
            }
        }
    }
}
