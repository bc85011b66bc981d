namespace TractorNet

open System
open System.Collections.Generic
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks

/// A broadcast subscriber fell more than the broadcast's buffer behind: it missed `Missed`
/// items. The other subscribers carry on; this one may go on iterating (a new enumerator)
/// from the oldest item still buffered.
type LaggedError(missed: int64, capacity: int) =
    inherit Exception($"broadcast subscriber lagged: it fell more than {capacity} items behind and missed {missed} of them")

    /// How many items this subscriber missed.
    member _.Missed = missed
    /// The broadcast's buffer size.
    member _.Capacity = capacity

/// Fans one async sequence out to many local tasks: every subscription sees every item that
/// arrives after it subscribed, in order. The source is read on demand by whichever subscriber
/// needs the next item (so the fastest subscriber sets the pace), and the last `capacity` items
/// are kept; a subscriber more than `capacity` items behind gets `LaggedError` instead of
/// holding the others back. The source is disposed when the broadcast is, or when its last
/// subscription is disposed (unless it is kept open: then subscriptions may come and go).
[<Sealed; AllowNullLiteral>]
type Broadcast<'T> internal (source: IAsyncEnumerable<'T>, capacity: int, keepOpen: bool) =
    do
        if isNull source then nullArg (nameof source)
        if capacity < 1 then invalidArg (nameof capacity) $"a broadcast's capacity must be at least 1 (got {capacity})"

    let gate = obj ()
    let ring: 'T[] = Array.zeroCreate capacity
    /// Items taken from the source so far (the sequence number of the next one).
    let mutable head = 0L
    let mutable pulling: Task = null
    let mutable finished = false
    let mutable error: exn = null
    let mutable enumerator: IAsyncEnumerator<'T> = null
    let mutable subscribers = 0
    let mutable everSubscribed = false
    /// No one may join any more: the last subscription left, or the broadcast was disposed.
    let mutable closed = false
    let mutable disposed: Task = null
    /// Cancels the source at disposal, so that a read waiting for an item that may never come ends.
    let stop = new CancellationTokenSource()

    /// Takes the next item from the source into the ring; `done` completes afterwards.
    member private _.Pull(finishedPulling: TaskCompletionSource) : Task =
        task {
            try
                try
                    let e =
                        lock gate (fun () ->
                            if isNull enumerator then
                                enumerator <- source.GetAsyncEnumerator stop.Token

                            enumerator)

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
        let mutable start: TaskCompletionSource = null
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
                        // One subscriber reads the source for all; the others wait for it.
                        start <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
                        pulling <- start.Task

                    struct (pulling, false)
        finally
            Monitor.Exit gate

        if not (isNull start) then
            this.Pull start |> ignore

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

    /// A broadcast of `source` keeping the last `capacity` items, disposed with its last subscription.
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

    /// A new subscription: its own copy of every item from now on. Raises
    /// `ObjectDisposedException` once the broadcast is disposed or its last subscription left.
    member this.Subscribe() : BroadcastSubscription<'T> =
        match this.TrySubscribe() with
        | ValueSome s -> s
        | ValueNone -> raise (ObjectDisposedException(nameof Broadcast, "the broadcast was disposed (its last subscription left)"))

    /// How many items a subscriber may fall behind before it lags.
    member _.Capacity = capacity

    /// Cancels the source and disposes it (once its pending read, if any, has ended).
    member _.DisposeAsync() : ValueTask =
        let struct (work, first) =
            lock gate (fun () ->
                if isNull disposed then
                    closed <- true
                    let pending = pulling
                    let e = enumerator

                    disposed <-
                        task {
                            if not (isNull pending) then
                                do! pending

                            if not (isNull e) then
                                do! e.DisposeAsync()
                        }

                    struct (disposed, true)
                else
                    struct (disposed, false))

        // Outside the lock: cancellation callbacks run inline.
        if first then stop.Cancel()
        ValueTask work

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()

/// One subscriber's view of a `Broadcast`: iterate it (once or several times, one enumerator
/// at a time) to receive every item that arrived since it subscribed. Dispose it to leave.
and [<Sealed>] BroadcastSubscription<'T> internal (broadcast: Broadcast<'T>, start: int64) =
    let mutable position = start
    let mutable left = 0

    member internal _.Advance(value: byref<'T>) = broadcast.Next(&position, &value)

    /// Leaves the broadcast (the last one out disposes the source).
    member _.DisposeAsync() : ValueTask =
        if Interlocked.Exchange(&left, 1) = 0 then ValueTask(broadcast.Leave()) else ValueTask.CompletedTask

    /// Iterates the items that arrive from now on.
    member this.GetAsyncEnumerator(ct: CancellationToken) : IAsyncEnumerator<'T> =
        new SubscriptionEnumerator<'T>(this, ct)

    interface IAsyncEnumerable<'T> with
        member this.GetAsyncEnumerator(ct) = this.GetAsyncEnumerator ct

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()

and [<Sealed>] internal SubscriptionEnumerator<'T>(subscription: BroadcastSubscription<'T>, ct: CancellationToken) =
    let mutable current = Unchecked.defaultof<'T>

    member private this.Slow(wait: Task) : Task<bool> =
        task {
            let mutable wait = wait
            let mutable result = ValueNone

            while result.IsNone do
                do! wait.WaitAsync ct
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
            ct.ThrowIfCancellationRequested()
            let mutable v = Unchecked.defaultof<'T>
            let struct (wait, more) = subscription.Advance(&v)

            if isNull wait then
                if more then current <- v
                ValueTask<bool> more
            else
                ValueTask<bool>(this.Slow wait)

        member _.DisposeAsync() = ValueTask.CompletedTask

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
