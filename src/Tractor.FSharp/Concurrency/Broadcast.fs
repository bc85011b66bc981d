namespace TractorNet

open System
open System.Collections.Generic
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks

/// <summary>
/// A broadcast subscriber fell more than the broadcast's buffer behind: it missed <c>Missed</c>
/// items. The other subscribers carry on; this one may go on iterating (a new enumerator)
/// from the oldest item still buffered.
/// </summary>
type LaggedError(missed: int64, capacity: int) =
    inherit Exception($"broadcast subscriber lagged: it fell more than {capacity} items behind and missed {missed} of them")

    /// <summary>How many items this subscriber missed.</summary>
    member _.Missed = missed
    /// <summary>The broadcast's buffer size.</summary>
    member _.Capacity = capacity

/// <summary>
/// Fans one async sequence out to many local tasks: every subscription sees every item that
/// arrives after it subscribed, in order. The source is read on demand by whichever subscriber
/// needs the next item (so the fastest subscriber sets the pace), and the last <paramref name="capacity"/> items
/// are kept; a subscriber more than <paramref name="capacity"/> items behind gets <see cref="T:TractorNet.LaggedError"/> instead of
/// holding the others back. The source is read outside every subscriber's cancel scope: a
/// subscriber cancelled while it waits for the next item stops waiting, the read goes on and the
/// others get its item (tractor's broadcast hands the pull over the same way). The source is
/// cancelled and disposed when the broadcast is, or when its last subscription is disposed
/// (unless it is kept open: then subscriptions may come and go).
/// </summary>
[<Sealed; AllowNullLiteral>]
type Broadcast<'T> internal (source: IAsyncEnumerable<'T>, capacity: int, keepOpen: bool) =
    do
        if isNull source then nullArg (nameof source)
        if capacity < 1 then invalidArg (nameof capacity) $"a broadcast's capacity must be at least 1 (got {capacity})"

    /// Starts a read of the source in the broadcast's own execution context (see `pullContext`).
    static let startPull = ContextCallback(fun state -> (state :?> Broadcast<'T>).Pull() |> ignore)

    let gate = obj ()
    let ring: 'T[] = Array.zeroCreate capacity
    /// Items taken from the source so far (the sequence number of the next one).
    let mutable head = 0L
    /// The read of the source under way (guarded by gate), completed by `pullDone` when it ends.
    let mutable pulling: Task = null
    let mutable pullDone: TaskCompletionSource = null
    let mutable finished = false
    let mutable error: exn = null
    /// Created by the first read unless the broadcast was disposed before it (guarded by gate).
    let mutable enumerator: IAsyncEnumerator<'T> = null
    let mutable subscribers = 0
    let mutable everSubscribed = false
    /// No one may join any more: the last subscription left, or the broadcast was disposed.
    let mutable closed = false
    /// Set (guarded by gate) once disposal began; completes when the source is disposed.
    let mutable disposed: Task = null
    /// Cancels the source at disposal, so that a read waiting for an item that may never come ends.
    let stop = new CancellationTokenSource()

    /// The creator's execution context with no cancel scope, captured once: every read of the
    /// source runs in it, never in the context of the subscriber that happened to need the item
    /// (a source that honours the ambient scope, as a remote stream does, would otherwise be cut
    /// for every subscriber when that one's scope is cancelled). Null when the creator suppressed
    /// the flow of its context; each read then clears the scope itself.
    let pullContext =
        // Inside a task: the AsyncLocal change stays in it and never leaks to the creator.
        (task {
            CancelScope.SetCurrent null
            return ExecutionContext.Capture()
        })
            .Result

    /// Takes the next item from the source into the ring; `pullDone` completes afterwards.
    member private _.Pull() : Task =
        task {
            // Already so in `pullContext`; this covers a creator that suppressed the flow.
            CancelScope.SetCurrent null

            let finishedPulling = lock gate (fun () -> pullDone)

            try
                try
                    let e =
                        lock gate (fun () ->
                            if isNull enumerator && isNull disposed then
                                enumerator <- source.GetAsyncEnumerator stop.Token

                            enumerator)

                    if isNull e then
                        // Disposed before the first read: the waiters, asking again, see it.
                        lock gate (fun () -> pulling <- null)
                    else
                        let! more = e.MoveNextAsync()

                        lock gate (fun () ->
                            if more then
                                ring[int (head % int64 capacity)] <- e.Current
                                head <- head + 1L
                            else
                                finished <- true

                            pulling <- null)
                with ex ->
                    lock gate (fun () ->
                        error <- ex
                        finished <- true
                        pulling <- null)
            finally
                finishedPulling.TrySetResult() |> ignore
        }

    /// The next item for a subscriber at `position` (its next sequence number): returns
    /// (null, more) with the item in `value` when more, or (wait, _) to wait and ask again.
    member internal this.Next(position: byref<int64>, value: byref<'T>) : struct (Task * bool) =
        let mutable start = false
        let mutable result = struct (null, false)
        Monitor.Enter gate

        try
            result <-
                if position < head then
                    if head - position > int64 capacity then
                        let missed = head - position - int64 capacity
                        position <- head - int64 capacity
                        raise (LaggedError(missed, capacity))

                    value <- ring[int (position % int64 capacity)]
                    position <- position + 1L
                    struct (null, true)
                elif finished then
                    if not (isNull error) then
                        ExceptionDispatchInfo.Throw error

                    struct (null, false)
                elif not (isNull disposed) then
                    raise (ObjectDisposedException(nameof Broadcast, "the broadcast was disposed"))
                else
                    if isNull pulling then
                        // One read for all waiting subscribers, each waiting with its own token.
                        pullDone <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
                        pulling <- pullDone.Task
                        start <- true

                    struct (pulling, false)
        finally
            Monitor.Exit gate

        // Outside the lock: the source runs user code.
        if start then
            if isNull pullContext then
                this.Pull() |> ignore
            else
                ExecutionContext.Run(pullContext, startPull, this)

        result

    /// Where a new subscription starts (the next item to arrive), or ValueNone once closed.
    member private _.TryJoin() : int64 voption =
        lock gate (fun () ->
            if closed then
                ValueNone
            else
                subscribers <- subscribers + 1
                everSubscribed <- true
                ValueSome head)

    /// <summary>
    /// A broadcast of <paramref name="source"/> keeping the last <paramref name="capacity"/> items, disposed with its last subscription.
    /// </summary>
    new(source: IAsyncEnumerable<'T>, capacity: int) = new Broadcast<'T>(source, capacity, false)

    member internal this.Leave() : Task =
        // Closed in the same lock as the count, so that no one joins a broadcast being disposed.
        let last =
            lock gate (fun () ->
                subscribers <- subscribers - 1
                let last = subscribers = 0 && everSubscribed && not keepOpen
                closed <- closed || last
                last)

        if last then this.DisposeAsync().AsTask() else Task.CompletedTask

    /// Whether the broadcast takes no more subscriptions (its last one left, or it was disposed).
    member internal _.IsClosed = lock gate (fun () -> closed)

    /// A new subscription, or ValueNone once the broadcast is closed.
    member internal this.TrySubscribe() : BroadcastSubscription<'T> voption =
        this.TryJoin() |> ValueOption.map (fun position -> new BroadcastSubscription<'T>(this, position))

    /// <summary>
    /// A new subscription: its own copy of every item from now on. Raises
    /// <c>ObjectDisposedException</c> once the broadcast is disposed or its last subscription left.
    /// </summary>
    member this.Subscribe() : BroadcastSubscription<'T> =
        match this.TrySubscribe() with
        | ValueSome s -> s
        | ValueNone -> raise (ObjectDisposedException(nameof Broadcast, "the broadcast was disposed (its last subscription left)"))

    /// <summary>How many items a subscriber may fall behind before it lags.</summary>
    member _.Capacity = capacity

    /// Disposes the source once the read under way, if any, has ended.
    member private _.DisposeSource(pending: Task, finishedDisposing: TaskCompletionSource) : Task =
        task {
            try
                // A read always completes `pending` (never faults it).
                if not (isNull pending) then
                    do! pending

                // Read after the pending read: that read may have created the enumerator.
                let e = lock gate (fun () -> enumerator)

                if not (isNull e) then
                    do! e.DisposeAsync()

                finishedDisposing.TrySetResult() |> ignore
            with ex ->
                finishedDisposing.TrySetException ex |> ignore
        }

    /// <summary>Cancels the source and disposes it (once its pending read, if any, has ended).</summary>
    member this.DisposeAsync() : ValueTask =
        let mutable finishedDisposing: TaskCompletionSource = null

        let struct (work, pending) =
            lock gate (fun () ->
                if isNull disposed then
                    closed <- true
                    finishedDisposing <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
                    disposed <- finishedDisposing.Task
                    struct (disposed, pulling)
                else
                    struct (disposed, null))

        // Outside the lock: cancellation callbacks and the source's disposal run inline.
        if not (isNull finishedDisposing) then
            stop.Cancel()
            this.DisposeSource(pending, finishedDisposing) |> ignore

        ValueTask work

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()

/// <summary>
/// One subscriber's view of a <c>Broadcast</c>: iterate it (once or several times, one enumerator
/// at a time) to receive every item that arrived since it subscribed. Dispose it to leave.
/// </summary>
and [<Sealed>] BroadcastSubscription<'T> internal (broadcast: Broadcast<'T>, start: int64) =
    let mutable position = start
    let mutable left = 0

    member internal _.Advance(value: byref<'T>) = broadcast.Next(&position, &value)

    /// <summary>Leaves the broadcast (the last one out disposes the source).</summary>
    member _.DisposeAsync() : ValueTask =
        if Interlocked.Exchange(&left, 1) = 0 then ValueTask(broadcast.Leave()) else ValueTask.CompletedTask

    /// <summary>
    /// Iterates the items that arrive from now on. <paramref name="ct"/> and the ambient cancel scope cancel
    /// this iteration only (with <c>OperationCanceledException</c>): the other subscribers go on.
    /// </summary>
    member this.GetAsyncEnumerator(ct: CancellationToken) : IAsyncEnumerator<'T> =
        new SubscriptionEnumerator<'T>(this, ct)

    interface IAsyncEnumerable<'T> with
        member this.GetAsyncEnumerator(ct) = this.GetAsyncEnumerator ct

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()

and [<Sealed>] internal SubscriptionEnumerator<'T>(subscription: BroadcastSubscription<'T>, ct: CancellationToken) =
    // The iterating task's cancel scope cancels its waits, like any read: the shared read of the
    // source runs outside every scope, so nothing else would.
    let link = AmbientLink.Of ct
    let token = link.Token

    let mutable current = Unchecked.defaultof<'T>

    member private this.Slow(wait: Task) : Task<bool> =
        task {
            let mutable wait = wait
            let mutable result = ValueNone

            while result.IsNone do
                // Only this subscriber stops waiting when cancelled: the read goes on for the others.
                do! wait.WaitAsync token
                let mutable v = Unchecked.defaultof<'T>
                let struct (again, more) = subscription.Advance(&v)

                if isNull again then
                    if more then current <- v
                    result <- ValueSome more
                else
                    wait <- again

            return result.Value
        }

    interface IAsyncEnumerator<'T> with
        member _.Current = current

        member this.MoveNextAsync() =
            token.ThrowIfCancellationRequested()
            let mutable v = Unchecked.defaultof<'T>
            let struct (wait, more) = subscription.Advance(&v)

            if isNull wait then
                if more then current <- v
                ValueTask<bool> more
            else
                ValueTask<bool>(this.Slow wait)

        member _.DisposeAsync() =
            link.Dispose()
            ValueTask.CompletedTask

/// The current broadcast of a source that can be subscribed to in rounds: a subscription after
/// every earlier one has left starts a new broadcast over the same source (for a one-way
/// stream, a new run of the remote function).
[<Sealed>]
type internal BroadcastSlot<'T>(source: IAsyncEnumerable<'T>) =
    let gate = obj ()
    let mutable current: Broadcast<'T> = null

    /// A subscription to the current broadcast, or to a new one (of `bufferSize`) if there is
    /// none or it closed.
    member _.Subscribe(bufferSize: int) : BroadcastSubscription<'T> =
        let mutable subscription = ValueNone

        // Retried: the last subscriber may leave between our check and our join.
        while subscription.IsNone do
            let b =
                lock gate (fun () ->
                    if isNull current || current.IsClosed then
                        current <- new Broadcast<'T>(source, bufferSize)

                    current)

            subscription <- b.TrySubscribe()

        subscription.Value
