namespace TractorNet

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks

/// <summary>
/// Structured bridges to unstructured Task code (tractor's <c>to_asyncio</c>, its "infected asyncio" mode): existing
/// Task-based code that takes a <see cref="T:System.Threading.CancellationToken"/> and runs on its own joins a tree
/// under structured concurrency. Its failure is the caller's; cancelling the caller cancels its token and waits for
/// it, bounded by <see cref="P:TractorNet.ForeignOptions.StopTimeout"/>, reporting it if it refuses to stop. C#:
/// <c>Tractor.OpenChannelFrom</c>, <c>Tractor.RunTask</c>, <c>Tractor.FromObservable</c>, <c>Tractor.ToObservable</c>.
/// </summary>
[<AutoOpen>]
module Foreign =

    /// <summary>Like <see cref="M:TractorNet.ForeignModule.openChannelFrom``4"/> with options.</summary>
    let openChannelFromWith
        (options: ForeignOptions)
        (foreign: ForeignEnd<'First, 'Out, 'In> -> CancellationToken -> Task<'U>)
        (body: 'First -> LinkedChannel<'In, 'Out> -> Task<'R>)
        : Task<'R> =
        ChannelFrom.run options (ForeignTask.describe foreign) (fun e ct -> foreign e ct :> Task) body

    /// <summary>
    /// Runs <paramref name="foreign"/>, unstructured Task code, on the thread pool with a two-way channel
    /// (tractor's <c>open_channel_from</c>). Its first message (<c>chan.Started v</c>) unblocks the caller:
    /// <paramref name="body"/> then runs with that value and the structured side's end of the channel.
    /// </summary>
    /// <remarks>
    /// <para>The foreign function's failure, or a cancellation it did not get from the structured side
    /// (<see cref="T:TractorNet.ForeignCancelledError"/>), cancels the body and is raised, as in a task nursery; so is a
    /// return before its first message (<see cref="T:TractorNet.ForeignTaskExitedError"/>). A later return closes the
    /// channel: iteration ends, a pending receive raises <see cref="T:TractorNet.ForeignTaskExitedError"/>.</para>
    /// <para>When the body ends (returns, fails, or is cancelled), the foreign token is cancelled and the foreign task
    /// awaited for at most <see cref="P:TractorNet.ForeignOptions.StopTimeout"/>; a task that does not stop is logged
    /// and raised as <see cref="T:TractorNet.ForeignTaskStuckError"/> (when nothing else failed).</para>
    /// </remarks>
    /// <param name="foreign">The foreign function: its end of the channel and its token.</param>
    /// <param name="body">The structured side: the first message and its end of the channel.</param>
    /// <returns>The body's value.</returns>
    /// <example><code>
    /// let echo (chan: ForeignEnd&lt;string, int, int&gt;) (ct: CancellationToken) = task {
    ///     chan.Started "start"
    ///     while true do
    ///         let! v = chan.ReceiveAsync()
    ///         do! chan.SendAsync v }
    /// let! n = openChannelFrom echo (fun first chan -> task {
    ///     do! chan.SendAsync 41
    ///     let! v = chan.ReceiveAsync()
    ///     return v + 1 })
    /// </code></example>
    let openChannelFrom
        (foreign: ForeignEnd<'First, 'Out, 'In> -> CancellationToken -> Task<'U>)
        (body: 'First -> LinkedChannel<'In, 'Out> -> Task<'R>)
        : Task<'R> =
        openChannelFromWith ForeignOptions.Default foreign body

    /// <summary>Like <see cref="M:TractorNet.ForeignModule.runTask``1"/> with options.</summary>
    let runTaskWith (options: ForeignOptions) (foreign: CancellationToken -> Task<'T>) : Task<'T> =
        ForeignTask.run options (ForeignTask.describe foreign) foreign

    /// <summary>
    /// Runs one Task-returning function as a foreign task (tractor's <c>run_task</c>): on the thread pool, outside
    /// every cancel scope, with a token of its own. Returns its value or raises its error; a cancellation it did not
    /// get from the caller raises <see cref="T:TractorNet.ForeignCancelledError"/>. When the caller's scope is
    /// cancelled, the token is cancelled and the function awaited for at most
    /// <see cref="P:TractorNet.ForeignOptions.StopTimeout"/> (a function that does not stop is logged and left behind).
    /// </summary>
    /// <param name="foreign">The function; it should honour its token.</param>
    let runTask (foreign: CancellationToken -> Task<'T>) : Task<'T> = runTaskWith ForeignOptions.Default foreign

    /// <summary>
    /// An <see cref="T:System.IObservable`1"/> as an async stream, e.g. to serve it as an actor's stream
    /// (<c>portal.OpenStreamFrom</c>) or feed a context. Each enumeration subscribes once, on its first item, and
    /// unsubscribes when disposed; <c>OnError</c> is raised after the items before it, <c>OnCompleted</c> ends it. An
    /// observable cannot be slowed down: more than <paramref name="capacity"/> items ahead of the reader fail the
    /// stream with <see cref="T:TractorNet.ForeignOverrunError"/>.
    /// </summary>
    /// <exception cref="T:System.ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    let ofObservableWith (capacity: int) (source: IObservable<'T>) : IAsyncEnumerable<'T> =
        ObservableBridge.toAsyncEnumerable capacity source

    /// <summary>Like <see cref="M:TractorNet.ForeignModule.ofObservableWith``1(System.Int32,System.IObservable{``0})"/>
    /// with <see cref="P:TractorNet.ForeignOptions.Default"/>'s capacity.</summary>
    let ofObservable (source: IObservable<'T>) : IAsyncEnumerable<'T> =
        ofObservableWith ForeignOptions.Default.Capacity source

    /// <summary>
    /// An async stream (a remote stream, a <c>taskSeq { }</c>) as an <see cref="T:System.IObservable`1"/>. Each
    /// subscription enumerates the stream on the thread pool, pushing every item, then <c>OnCompleted</c> or
    /// <c>OnError</c>; disposing the subscription cancels the enumeration. The stream must stay valid while
    /// subscribed (a context's stream: inside the context).
    /// </summary>
    let toObservable (source: IAsyncEnumerable<'T>) : IObservable<'T> = ObservableBridge.toObservable source
