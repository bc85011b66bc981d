// Foreign (unstructured) Task code under structured concurrency: tractor's to_asyncio.
using Microsoft.FSharp.Core;

namespace TractorNet;

public static partial class Tractor
{
    /// <summary>
    /// Runs <paramref name="foreign"/>, unstructured Task code, on the thread pool with a two-way channel (tractor's
    /// <c>open_channel_from</c>). Its first message (<c>chan.Started(v)</c>) unblocks the caller: <paramref name="body"/>
    /// then runs with that value and the structured side's end of the channel.
    /// </summary>
    /// <remarks>
    /// <para>The foreign function's failure, or a cancellation it did not get from the structured side
    /// (<see cref="ForeignCancelledError"/>), cancels the body and is thrown; so is a return before its first message
    /// (<see cref="ForeignTaskExitedError"/>). A later return closes the channel: <c>await foreach</c> ends, a pending
    /// <see cref="LinkedChannel{Send, Receive}.ReceiveAsync"/> throws <see cref="ForeignTaskExitedError"/>.</para>
    /// <para>When the body ends (returns, throws, or is cancelled), the foreign token is cancelled and the foreign task
    /// awaited for at most <see cref="ForeignOptions.StopTimeout"/>; a task that does not stop is logged and thrown as
    /// <see cref="ForeignTaskStuckError"/> (when nothing else failed).</para>
    /// </remarks>
    /// <typeparam name="TFirst">The first message's type.</typeparam>
    /// <typeparam name="TOut">What the foreign side sends.</typeparam>
    /// <typeparam name="TIn">What the foreign side receives.</typeparam>
    /// <typeparam name="TResult">The body's value.</typeparam>
    /// <param name="foreign">The foreign function: its end of the channel and its token.</param>
    /// <param name="body">The structured side: the first message and its end of the channel.</param>
    /// <param name="options">Stop timeout and queue capacity; <see cref="ForeignOptions.Default"/> when null.</param>
    /// <example><code>
    /// int n = await Tractor.OpenChannelFrom&lt;string, int, int, int&gt;(Echo.Serve, async (first, chan) =>
    /// {
    ///     await chan.SendAsync(41);
    ///     return await chan.ReceiveAsync() + 1;
    /// });
    /// </code></example>
    public static Task<TResult> OpenChannelFrom<TFirst, TOut, TIn, TResult>(
        Func<ForeignEnd<TFirst, TOut, TIn>, CancellationToken, Task> foreign,
        Func<TFirst, LinkedChannel<TIn, TOut>, Task<TResult>> body,
        ForeignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(foreign);
        ArgumentNullException.ThrowIfNull(body);
        return ChannelFrom.run(
            options ?? ForeignOptions.Default,
            ForeignTask.describe(foreign),
            FuncConvert.FromFunc((ForeignEnd<TFirst, TOut, TIn> e, CancellationToken ct) => foreign(e, ct)),
            FuncConvert.FromFunc((TFirst first, LinkedChannel<TIn, TOut> chan) => body(first, chan)));
    }

    /// <summary>Like <see cref="OpenChannelFrom{TFirst, TOut, TIn, TResult}"/> with a body that returns no value.</summary>
    public static Task OpenChannelFrom<TFirst, TOut, TIn>(
        Func<ForeignEnd<TFirst, TOut, TIn>, CancellationToken, Task> foreign,
        Func<TFirst, LinkedChannel<TIn, TOut>, Task> body,
        ForeignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return OpenChannelFrom<TFirst, TOut, TIn, bool>(foreign, async (first, chan) =>
        {
            await body(first, chan).ConfigureAwait(false);
            return true;
        }, options);
    }

    /// <summary>
    /// Runs one Task-returning function as a foreign task (tractor's <c>run_task</c>): on the thread pool, outside every
    /// cancel scope, with a token of its own. Returns its value or throws its error; a cancellation it did not get from
    /// the caller throws <see cref="ForeignCancelledError"/>. When the caller's scope is cancelled, the token is
    /// cancelled and the function awaited for at most <see cref="ForeignOptions.StopTimeout"/> (one that does not stop
    /// is logged and left behind).
    /// </summary>
    /// <param name="foreign">The function; it should honour its token.</param>
    /// <param name="options">The stop timeout; <see cref="ForeignOptions.Default"/> when null.</param>
    public static Task<T> RunTask<T>(Func<CancellationToken, Task<T>> foreign, ForeignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(foreign);
        return ForeignTask.run(
            options ?? ForeignOptions.Default,
            ForeignTask.describe(foreign),
            FuncConvert.FromFunc(foreign));
    }

    /// <summary>Like <see cref="RunTask{T}"/> for a function without a value.</summary>
    public static Task RunTask(Func<CancellationToken, Task> foreign, ForeignOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(foreign);
        return RunTask<bool>(async ct =>
        {
            await foreign(ct).ConfigureAwait(false);
            return true;
        }, options);
    }

    /// <summary>
    /// An <see cref="IObservable{T}"/> as an async stream (<c>await foreach</c>), e.g. to serve it as an actor's stream.
    /// Each enumeration subscribes once, on its first item, and unsubscribes when disposed; <c>OnError</c> is thrown
    /// after the items before it, <c>OnCompleted</c> ends it. An observable cannot be slowed down: more than
    /// <paramref name="capacity"/> items ahead of the reader fail the stream with <see cref="ForeignOverrunError"/>.
    /// </summary>
    /// <param name="source">The observable.</param>
    /// <param name="capacity">How many items may wait for the reader; <see cref="ForeignOptions.Default"/>'s when null.</param>
    public static IAsyncEnumerable<T> FromObservable<T>(IObservable<T> source, int? capacity = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ObservableBridge.toAsyncEnumerable(capacity ?? ForeignOptions.Default.Capacity, source);
    }

    /// <summary>
    /// An async stream (a remote stream, an async iterator) as an <see cref="IObservable{T}"/>. Each subscription
    /// enumerates the stream on the thread pool, pushing every item, then <c>OnCompleted</c> or <c>OnError</c>;
    /// disposing the subscription cancels the enumeration. The stream must stay valid while subscribed.
    /// </summary>
    public static IObservable<T> ToObservable<T>(IAsyncEnumerable<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ObservableBridge.toObservable(source);
    }
}
