namespace TractorNet;

/// <summary>
/// A nursery opened with <c>await using var n = await Tractor.OpenNursery();</c>. End the body with
/// <see cref="JoinAsync"/>: it waits for every child actor and raises their errors. A dispose that comes without a
/// join means the body failed (<c>await using</c> cannot see its exception), so <see cref="DisposeAsync"/> cancels and
/// reaps everything instead, and never hangs.
/// </summary>
/// <remarks>
/// <para>The body is not one task the nursery can cancel: when a child fails, the nursery cancels its actors and its
/// <see cref="Nursery.Token"/>, and the body's portal calls raise. If the body then leaves without joining,
/// <see cref="DisposeAsync"/> raises the child's error (several as one <see cref="MultiErrorException"/>) in place of
/// the body's exception, which was most likely the cancellation that error caused.</para>
/// <para>If the body fails while the nursery is healthy, the body's exception propagates; errors that children
/// raise while being cancelled are then logged, not raised (C# cannot combine them with the body's exception). The
/// lambda form <see cref="Tractor.OpenNursery(Func{Nursery, Task})"/> has none of these caveats.</para>
/// </remarks>
public sealed class JoinableNursery : Nursery, IAsyncDisposable
{
    readonly Task run;
    readonly TaskCompletionSource release;
    volatile bool joinCalled;
    int disposed;

    JoinableNursery(ActorNursery inner, Task run, TaskCompletionSource release) : base(inner)
    {
        this.run = run;
        this.release = release;
    }

    internal static async Task<JoinableNursery> Open()
    {
        var ready = new TaskCompletionSource<ActorNursery>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The nursery's body is a stand-in that lasts until JoinAsync or DisposeAsync releases it (or the nursery is
        // cancelled); the user's code between OpenNursery and JoinAsync runs beside it.
        async Task<bool> StandIn(ActorNursery n)
        {
            ready.SetResult(n);
            try
            {
                await release.Task.WaitAsync(n.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (n.Tasks.CancelScope.CancelCalled)
            {
                // The nursery's own cancellation (Cancel(), an error, DisposeAsync) ends the stand-in normally, so
                // the nursery absorbs it; errors still surface.
            }
            return true;
        }

        var run = Tractor.OpenActorNursery<bool>(StandIn);
        if (await Task.WhenAny(ready.Task, run).ConfigureAwait(false) == run && !ready.Task.IsCompleted)
        {
            await run.ConfigureAwait(false); // the nursery failed to open: raise why
            throw new InvalidOperationException("The actor nursery ended before it opened.");
        }
        return new JoinableNursery(await ready.Task.ConfigureAwait(false), run, release);
    }

    /// <summary>
    /// Ends the body: waits until every child actor has finished, failed or been cancelled and its process has been
    /// reaped (daemons until they are cancelled). Raises the nursery's errors: one as itself, several as a
    /// <see cref="MultiErrorException"/>. Afterwards the nursery is closed. Calling it again returns the same task.
    /// </summary>
    public Task JoinAsync()
    {
        joinCalled = true;
        release.TrySetResult();
        return run;
    }

    /// <summary>
    /// After <see cref="JoinAsync"/> has completed: nothing left to do. Otherwise the body failed: cancels the nursery
    /// and waits until every child's process has been reaped (bounded by the cancel ladder). Raises the nursery's
    /// errors only if it had failed before the body left (see the remarks on <see cref="JoinableNursery"/>).
    /// Disposing again does nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }
        var joinCalled = this.joinCalled;
        if (joinCalled && run.IsCompleted)
        {
            // JoinAsync reported the outcome; just observe it.
            await run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        var failedFirst = Inner.Token.IsCancellationRequested;
        Inner.Cancel();
        release.TrySetResult();
        try
        {
            await run.ConfigureAwait(false);
        }
        catch (Exception e) when (joinCalled || !failedFirst)
        {
            // The body's own exception is on its way out (or JoinAsync reports this one): keep it, log ours.
            Log.warn($"nursery of '{Inner.Actor}' disposed before JoinAsync completed; error while cancelling it: {e}");
        }
    }
}
