namespace TractorNet.Runtime

open System
open System.Runtime.CompilerServices
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks
open System.Threading.Tasks.Sources
open TractorNet

/// A stream's receive buffer of decoded items. One reader; the writer is the connection's
/// receive loop. The writer appends under a lock; the reader takes everything appended so far
/// in one swap and reads it without synchronisation, so the two threads meet once per batch,
/// not per item. A reader waiting for items waits on this object itself (a reusable
/// `IValueTaskSource`): no allocation per wait. `consumed` runs for every item read (it grants
/// credit back).
[<Sealed>]
type internal Inbox<'T>(codec: ItemCodec<'T>, consumed: unit -> unit, raised: exn -> unit) =
    static let initialSize = 16
    /// Items of a run decoded before they are handed to the reader.
    static let chunkSize = 512
    static let clearSlots = RuntimeHelpers.IsReferenceOrContainsReferences<'T>()

    static let onCancel =
        Action<obj>(fun state -> (state :?> Inbox<'T>).CancelWait())

    let gate = obj ()

    // ---- the writer's side (under gate) ----
    let mutable incoming: 'T[] = Array.zeroCreate initialSize
    let mutable incomingCount = 0
    /// Items delivered (writer only).
    let mutable delivered = 0L
    /// Where a run of items is decoded before it is appended under the lock (writer only).
    let mutable staging: 'T[] = Array.zeroCreate initialSize

    // ---- the reader's side (no lock) ----
    let mutable batch: 'T[] = Array.zeroCreate initialSize
    let mutable batchPos = 0
    let mutable batchLength = 0
    /// Items read (written by the reader, read by the writer for `Count`).
    let mutable taken = 0L
    let mutable current = Unchecked.defaultof<'T>

    // ---- state (under gate) ----
    let mutable error: exn = null
    let mutable urgent: exn = null
    let mutable dead = false
    let mutable closed = false
    /// True while the reader waits on `signal`: whoever clears it completes the wait.
    let mutable waiting = false
    let mutable waitToken = CancellationToken.None
    let mutable registration = Unchecked.defaultof<CancellationTokenRegistration>

    [<DefaultValue(false)>]
    val mutable private signal: ManualResetValueTaskSourceCore<bool>

    /// Completes the reader's wait, if it waits (call outside the lock).
    member private this.Wake(wake: bool) =
        if wake then
            this.signal.SetResult true

    member private this.Complete(e: exn) =
        let wake =
            lock gate (fun () ->
                if not (isNull e) && isNull error then
                    error <- e

                dead <- true
                let w = waiting
                waiting <- false
                w)

        this.Wake wake

    member private this.CancelWait() =
        let wake =
            lock gate (fun () ->
                let w = waiting
                waiting <- false
                w)

        if wake then
            this.signal.SetException(OperationCanceledException(waitToken))

    /// The item the last successful read returned.
    member _.Current = current

    /// Appends `staging[0 .. n-1]` to the writer's items and wakes the reader (one lock for the
    /// whole run).
    member private this.Append(n: int) =
        let wake =
            lock gate (fun () ->
                if dead then
                    false
                else
                    if incoming.Length - incomingCount < n then
                        let bigger = Array.zeroCreate (max (2 * incoming.Length) (incomingCount + n))
                        Array.Copy(incoming, bigger, incomingCount)
                        incoming <- bigger

                    Array.Copy(staging, 0, incoming, incomingCount, n)
                    Volatile.Write(&incomingCount, incomingCount + n)
                    delivered <- delivered + int64 n
                    let w = waiting
                    waiting <- false
                    w)

        if clearSlots then
            Array.Clear(staging, 0, n)

        this.Wake wake

    /// Takes the next item into `Current` (reader side); false when none is buffered.
    member private _.TryTake() : bool =
        let u = Volatile.Read &urgent

        if not (isNull u) then
            raised u
            ExceptionDispatchInfo.Throw u

        if batchPos = batchLength && Volatile.Read &incomingCount > 0 then
            // Swap the drained batch for the writer's items. An array grown by a burst (an
            // unbounded buffer) is dropped once batches are small again: this one and the next.
            let drained =
                if batch.Length > 4096
                   && batchLength < batch.Length / 8
                   && Volatile.Read &incomingCount < batch.Length / 8 then
                    Array.zeroCreate (max initialSize (2 * batchLength))
                else
                    if clearSlots then
                        Array.Clear(batch, 0, batchLength)

                    batch

            lock gate (fun () ->
                batch <- incoming
                batchLength <- incomingCount
                incoming <- drained
                incomingCount <- 0)

            batchPos <- 0

        if batchPos < batchLength && not (Volatile.Read &closed) then
            current <- batch[batchPos]
            batchPos <- batchPos + 1
            Volatile.Write(&taken, taken + 1L)
            consumed ()
            true
        else
            false

    /// What the reader sees once nothing is buffered: the end (false) or the stream's error.
    member private _.AtEnd() : bool =
        let e = lock gate (fun () -> if isNull urgent then error else urgent)

        if not (isNull e) then
            raised e
            ExceptionDispatchInfo.Throw e

        false

    /// Reads the next item into `Current`: true, or false at the end of the stream; raises the
    /// stream's error (after the buffered items) or `ct`'s cancellation.
    member this.MoveNextAsync(ct: CancellationToken) : ValueTask<bool> =
        // The common case, small enough to inline: an item left in the batch being read.
        let p = batchPos

        if p < batchLength && isNull (Volatile.Read &urgent) && not (Volatile.Read &closed) then
            current <- batch[p]
            batchPos <- p + 1
            Volatile.Write(&taken, taken + 1L)
            consumed ()
            ValueTask<bool> true
        else
            this.MoveNextSlow ct

    member private this.MoveNextSlow(ct: CancellationToken) : ValueTask<bool> =
        try
            if this.TryTake() then
                ValueTask<bool> true
            elif ct.IsCancellationRequested then
                ValueTask<bool>(Task.FromCanceled<bool> ct)
            else
                let wait =
                    lock gate (fun () ->
                        if incomingCount > 0 || dead then
                            false
                        else
                            this.signal.Reset()
                            this.signal.RunContinuationsAsynchronously <- true
                            waiting <- true
                            waitToken <- ct
                            true)

                if not wait then
                    ValueTask<bool>(this.TryTake() || this.AtEnd())
                else
                    if ct.CanBeCanceled then
                        registration <- ct.UnsafeRegister(onCancel, this)

                    ValueTask<bool>(this, this.signal.Version)
        with e ->
            ValueTask<bool>(Task.FromException<bool> e)

    interface IValueTaskSource<bool> with
        member this.GetStatus(token) = this.signal.GetStatus token

        member this.OnCompleted(continuation, state, token, flags) =
            this.signal.OnCompleted(continuation, state, token, flags)

        member this.GetResult(token) =
            registration.Dispose()
            registration <- Unchecked.defaultof<_>
            this.signal.GetResult token |> ignore
            // Woken by an item or by the end.
            this.TryTake() || this.AtEnd()

    interface IItemSink with
        member this.Deliver(item) =
            if not (Volatile.Read &dead) then
                match
                    (try
                        Result.Ok(codec.Read item)
                     with e ->
                         Result.Error e)
                with
                | Result.Ok value ->
                    let wake =
                        lock gate (fun () ->
                            if dead then
                                false
                            else
                                if incomingCount = incoming.Length then
                                    let bigger = Array.zeroCreate (2 * incoming.Length)
                                    Array.Copy(incoming, bigger, incomingCount)
                                    incoming <- bigger

                                incoming[incomingCount] <- value
                                Volatile.Write(&incomingCount, incomingCount + 1)
                                delivered <- delivered + 1L
                                let w = waiting
                                waiting <- false
                                w)

                    this.Wake wake
                | Result.Error e ->
                    this.Complete(StreamItemError($"a stream item could not be read as {typeof<'T>.Name}: {e.Message}", e))

        // Decoded and appended a chunk at a time: the reader starts on a large run's first
        // items (and grants credit back) while the rest is still being decoded.
        member this.DeliverRun(run, count) =
            let mutable failure: exn = null
            let mutable offset = 0
            let mutable left = count

            while isNull failure && left > 0 && not (Volatile.Read &dead) do
                let k = min left chunkSize

                if staging.Length < k then
                    staging <- Array.zeroCreate (max k (2 * staging.Length))

                let chunk = run.Slice offset
                let mutable used = 0
                let mutable n = codec.ReadRun(chunk, k, staging, &used, &failure)

                if n < 0 then
                    n <- 0

                    while isNull failure && n < k do
                        let item = ItemRun.next (chunk, &used)

                        try
                            staging[n] <- codec.Read item
                            n <- n + 1
                        with e ->
                            failure <- e

                if n > 0 then
                    this.Append n

                offset <- offset + used
                left <- left - n

            if not (isNull failure) then
                this.Complete(StreamItemError($"a stream item could not be read as {typeof<'T>.Name}: {failure.Message}", failure))

        member _.Count = int (delivered - Volatile.Read &taken)
        member this.Finish(e) = this.Complete e

        member this.Abort(e) =
            lock gate (fun () ->
                if isNull urgent then
                    urgent <- e)

            this.Complete e

        member this.Close() =
            lock gate (fun () ->
                Volatile.Write(&closed, true)
                Array.Clear(incoming, 0, incomingCount)
                incomingCount <- 0)

            this.Complete null
