namespace TractorNet.Runtime

open System
open System.Collections.Generic
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks
open TractorNet

/// One side of one context or stream call on one connection: the call's lifetime, the stream's
/// flow in both directions (credits, buffers, stop/close), and, on the caller's side, the
/// started value and the outcome. `key` is the call as this side knows it (+id for calls it
/// started, -id for calls the peer started); messages carry `-key`, the key at the peer.
[<Sealed; AllowNullLiteral>]
type internal ContextEndpoint
    (link: IMessageLink, codec: IPayloadCodec, key: int64, options: StreamOptions, self: ActorId, lifetime: CancellationTokenSource) =
    let wire = -key
    let gate = obj ()
    let started = TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously)
    let outcome = TaskCompletionSource<CallOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)
    let credits = CreditGate()
    let backpressure = options.Overruns = Overruns.Backpressure
    let failOnOverrun = options.Overruns = Overruns.Fail
    let grantEvery = max 1 (options.BufferSize / 4)
    /// The credit message of one batch (messages are immutable: built once).
    let grant = Credit(wire, grantEvery)

    // ---- receiving (guarded by gate until `sink` is set) ----
    let mutable sink: IItemSink = Unchecked.defaultof<_>
    let mutable early: Queue<byte[]> = null
    let mutable inboundOpened = false
    let mutable inboundClosed = false
    let mutable peerStopped = false
    let mutable inboundError: exn = null
    /// Credit units read and not yet granted back (the reader's alone).
    let mutable unacked = 0
    /// Items delivered to the stream's buffer (the receive loop's alone) and read from it (the
    /// reader's alone); `extras`: runs of items that took credit units beyond one each (items of
    /// 1 KiB or more), as (items delivered once the run is in, its extra units), granted back
    /// when the run's last item is read. Created on the first such run (null until then).
    let mutable deliveredItems = 0L
    let mutable readItems = 0L
    let mutable extras: System.Collections.Concurrent.ConcurrentQueue<struct (int64 * int)> = null

    // ---- sending ----
    /// True when this side's items come from a one-way stream's pump, which carries on
    /// producing after each (set once before its first item).
    let mutable producer = false
    let mutable outboundOpened = false
    let mutable localStopped = false
    let mutable stopSent = false
    let mutable peerClosed = false
    let mutable outboundError: exn = null

    // ---- lifetime ----
    let mutable outcomeError: exn = null
    let mutable observed = false
    /// Why the context failed on this side, outside its function: a stream overrun (null until
    /// then; set once, under gate). `failedHere`: this side's buffer overran (the error is ours
    /// to raise at exit); otherwise the peer's did and its outcome reports it.
    let mutable failure: exn = null
    let mutable failedHere = false
    let mutable failureObserved = false
    let mutable cancelRequested = false
    let mutable cancelledBy: ActorId voption = ValueNone
    let mutable registrations: CancellationTokenRegistration list = []
    let mutable resolveBroken: Func<exn, Task<exn>> = null

    let sendQuietlyWith (soon: bool) (msg: Message) =
        try
            let vt = if soon then link.SendSoon msg else link.Send msg

            if not vt.IsCompleted then
                vt.AsTask().ContinueWith((fun (t: Task) -> t.Exception |> ignore), TaskContinuationOptions.OnlyOnFaulted)
                |> ignore
        with _ ->
            () // the connection is gone: the receive loop reports it

    let sendQuietly (msg: Message) = sendQuietlyWith false msg

    let transportError (e: exn) =
        TransportClosedError(string link.Remote, e.Message) :> exn

    /// The call as this side knows it.
    member _.Key = key
    /// The call id (the caller's numbering).
    member _.Id = abs key
    member _.Options = options
    /// The actor at the other end.
    member _.Remote = link.Remote
    /// This actor.
    member _.Self = self
    /// Cancelled when the call is cancelled (callee) or ended abnormally (caller).
    member _.Token = lifetime.Token
    /// The started value (caller side).
    member _.Started: Task<byte[]> = started.Task
    /// How the call ended (caller side).
    member _.Outcome: Task<CallOutcome> = outcome.Task
    /// The exception the outcome stands for (null for a return).
    member _.OutcomeError = outcomeError
    /// True once the outcome's error was raised to this side's code (by an iteration, a send
    /// or `Result()`): context exit does not raise it again.
    member _.Observed = observed
    /// Notes that `e` was raised to this side's code.
    member _.MarkRaised(e: exn) =
        if not (isNull e) then
            if obj.ReferenceEquals(e, outcomeError) then
                observed <- true

            if obj.ReferenceEquals(e, failure) then
                failureObserved <- true
    /// The stream overrun that failed the context (null if none).
    member _.Failure = failure
    /// True when the failure is this side's own buffer overrunning (not the peer's).
    member _.FailedHere = failedHere
    /// True once the failure was raised to this side's code (by an iteration or a send).
    member _.FailureObserved = failureObserved
    /// Whether this side asked the peer to cancel the call.
    member _.CancelRequested = cancelRequested
    /// True once the peer closed its receive end (items are dropped).
    member _.PeerClosed = Volatile.Read &peerClosed

    /// Who cancelled the call (callee side), if known.
    member _.CancelledBy
        with get () = cancelledBy
        and set v = cancelledBy <- v

    member _.ItemCodec<'T>() : ItemCodec<'T> = link.ItemCodec<'T>()

    // ================= events from the receive loop =================

    /// Under gate, for items that arrive before the stream opens: true when they are dropped (the
    /// stream ended, or failed; items before any credit was granted are a protocol error), else
    /// false with `early` ready to keep them.
    member private _.DropsEarlyItems() : bool =
        if inboundClosed || not (isNull inboundError) then
            true
        elif backpressure then
            inboundError <- StreamItemError($"protocol error: '{link.Remote}' sent a stream item before it was granted credit", null)
            true
        else
            if isNull early then
                early <- Queue()

            false

    member this.OnItem(item: ReadOnlyMemory<byte>) =
        let s = Volatile.Read &sink

        let overran =
            if not (isNull (box s)) then
                this.Deliver(s, item)
            else
                lock gate (fun () ->
                    if not (isNull (box sink)) then
                        this.Deliver(sink, item)
                    elif this.DropsEarlyItems() then
                        false
                    else
                        // The stream is not open yet: its items wait here, and overrun here
                        // as they would in the open stream's buffer.
                        if failOnOverrun && early.Count >= options.BufferSize then
                            true
                        else
                            early.Enqueue(item.ToArray())
                            false)

        if overran then
            this.Overran()

    /// A run of `count` stream items (a `Yield` or `Yields` frame, checked: `ItemRun`), as
    /// `OnItem` of each in order, with one step into the stream's buffer.
    member this.OnItems(run: ReadOnlyMemory<byte>, count: int, extra: int) =
        let s = Volatile.Read &sink

        let overran =
            if not (isNull (box s)) then
                this.DeliverRun(s, run, count, extra)
            else
                lock gate (fun () ->
                    if not (isNull (box sink)) then
                        this.DeliverRun(sink, run, count, extra)
                    elif this.DropsEarlyItems() then
                        false
                    else
                        let mutable pos = 0
                        let mutable i = 0
                        let mutable over = false

                        while not over && i < count do
                            if failOnOverrun && early.Count >= options.BufferSize then
                                over <- true
                            else
                                early.Enqueue((ItemRun.next (run, &pos)).ToArray())
                                i <- i + 1

                        over)

        if overran then
            this.Overran()

    /// Notes `count` items about to be buffered, which took `extra` credit units beyond one each
    /// (before they are buffered: the reader may read them at once).
    member private _.Delivering(count: int, extra: int) =
        deliveredItems <- deliveredItems + int64 count

        if extra > 0 then
            if isNull extras then
                Volatile.Write(&extras, System.Collections.Concurrent.ConcurrentQueue())

            extras.Enqueue(struct (deliveredItems, extra))

    /// Buffers a run of items; true when it overran the buffer (under `Overruns.Fail`: the
    /// items that fitted are buffered). Items for a closed receive end are dropped.
    member private this.DeliverRun(s: IItemSink, run: ReadOnlyMemory<byte>, count: int, extra: int) : bool =
        if inboundClosed then
            false
        elif backpressure then
            this.Delivering(count, extra)
            s.DeliverRun(run, count)
            false
        elif failOnOverrun then
            let room = options.BufferSize - s.Count

            if count > room then
                if room > 0 then
                    s.DeliverRun(run, room)

                true
            else
                s.DeliverRun(run, count)
                false
        else
            s.DeliverRun(run, count)
            false

    /// Buffers one item; true when it overran the buffer instead (under `Overruns.Fail`).
    /// Items for a closed receive end are dropped.
    member private this.Deliver(s: IItemSink, item: ReadOnlyMemory<byte>) : bool =
        if inboundClosed then
            false
        elif backpressure then
            this.Delivering(1, ItemRun.extraUnits item.Length)
            s.Deliver item
            false
        elif failOnOverrun && s.Count >= options.BufferSize then
            true
        else
            s.Deliver item
            false

    /// The receiver's buffer overflowed under `Overruns.Fail` (open stream or not): further
    /// items are dropped, the sender is told (`Overrun`), and the context fails on this side.
    member private this.Overran() =
        let e =
            StreamOverrunError(
                $"stream overrun: more than {options.BufferSize} items from '{link.Remote}' waited unread (Overruns.Fail); "
                + "read faster, or open the stream with Overruns.Backpressure (the default) or Overruns.Allow"
            )

        lock gate (fun () -> inboundClosed <- true)
        sendQuietly (Overrun wire)
        this.Fail(e, true)

    /// The context fails with `e` (a stream overrun): this side's iteration raises it after the
    /// buffered items, its sends raise it, and its token is cancelled (the callee's function
    /// scope, the caller's `ctx.Token`). Called outside `gate`: cancelling runs callbacks.
    member private _.Fail(e: exn, here: bool) =
        let first =
            lock gate (fun () ->
                if isNull failure then
                    failure <- e
                    failedHere <- here

                    if isNull outboundError then
                        outboundError <- e

                    if isNull (box sink) then
                        if isNull inboundError then inboundError <- e
                    else
                        sink.Finish e

                    true
                else
                    false)

        if first then
            credits.Wake()

            try
                lifetime.Cancel()
            with :? ObjectDisposedException ->
                () // the call has ended already

    member _.OnStop() =
        lock gate (fun () ->
            peerStopped <- true

            if not (isNull (box sink)) then
                sink.Finish null)

    member _.OnCredit(n: int) = credits.Add n

    member _.OnPeerClosed() =
        Volatile.Write(&peerClosed, true)
        credits.Wake()

    /// The peer's buffer overran with our items: the context fails here too (see `Fail`).
    member this.OnPeerOverrun() =
        this.Fail(
            StreamOverrunError(
                $"stream overrun: the receiver in '{link.Remote}' fell more than {options.BufferSize} items behind (Overruns.Fail)"
            ),
            false
        )

    member _.OnStarted(value: byte[]) = started.TrySetResult value |> ignore

    /// The call ended (caller side): ends both directions of the stream accordingly.
    member _.OnOutcome(o: CallOutcome) =
        let error: exn =
            match o with
            | Returned _ -> null
            | Failed info -> RemoteActorError info
            | CancelledBy(who, reason) ->
                let info =
                    { Source = link.Remote
                      TypeName = typeof<ContextCancelledError>.FullName
                      Message = $"context cancelled by '{who}': {reason}"
                      StackTrace = ""
                      RelayPath = []
                      Inner = [] }

                ContextCancelledError(info, who)
            | Broken e -> e

        // Any end but a return fails the streams, this actor's own cancellation included (as
        // in tractor: code after the loop must not run as if the stream had completed); context
        // exit absorbs our own cancellation.
        lock gate (fun () ->
            if not outcome.Task.IsCompleted then
                outcomeError <- error
                peerStopped <- true

                if isNull (box sink) then
                    if isNull inboundError then inboundError <- error
                else
                    sink.Finish error

                if isNull error then
                    Volatile.Write(&peerClosed, true)
                elif isNull outboundError then
                    outboundError <- error)

        if outcome.TrySetResult o then
            credits.Wake()

            if not (isNull error) then
                try
                    lifetime.Cancel()
                with _ ->
                    ()

    /// The connection broke.
    member this.OnBroken(e: exn) =
        this.OnLocalError e
        this.OnOutcome(Broken e)

    /// Caller side, a call on a child actor: `resolve` says what a broken connection means (the
    /// actor's death: the one ActorDiedError its supervisor raises too, so that a death is
    /// reported once). Set before the call goes out.
    member _.ResolveBrokenWith(resolve: Func<exn, Task<exn>>) = resolveBroken <- resolve

    /// The connection broke: ends the call with `e`, or with what the resolver makes of it
    /// (it may wait a little for the process's exit). Never throws.
    member this.Break(e: exn) =
        let resolve = resolveBroken

        if isNull resolve then
            this.OnBroken e
        else
            task {
                let! cause =
                    task {
                        try
                            return! resolve.Invoke e
                        with _ ->
                            return e
                    }

                this.OnBroken cause
            }
            |> ignore

    /// This side's waits end with `e` at once (local cancellation, broken connection).
    member _.OnLocalError(e: exn) =
        lock gate (fun () ->
            if isNull (box sink) then
                if isNull inboundError then inboundError <- e
            else
                sink.Abort e

            if isNull outboundError then
                outboundError <- e)

        credits.Wake()

    /// Ends local waits with OperationCanceledException when `token` is cancelled; on the
    /// caller's side also asks the callee to cancel.
    member this.Watch(token: CancellationToken, requestRemote: bool) =
        if token.CanBeCanceled then
            let r =
                token.Register(fun () ->
                    // A callee whose context failed (its token is `token`) has ended its stream
                    // with the failure already: its buffered items stay readable before it.
                    if requestRemote || isNull (Volatile.Read &failure) then
                        this.OnLocalError(OperationCanceledException("the context was cancelled", token))

                    if requestRemote then
                        this.RequestCancel())

            lock gate (fun () -> registrations <- r :: registrations)

    // ================= this side's actions =================

    /// Asks the callee to cancel the call (caller side; once).
    member _.RequestCancel() =
        let send =
            lock gate (fun () ->
                if cancelRequested || outcome.Task.IsCompleted then
                    false
                else
                    cancelRequested <- true
                    true)

        if send then
            sendQuietly (CancelCall key)

    /// Cancels the call from the callee's own side (`ctx.Cancel()` in the callee).
    member _.CancelSelf() =
        if cancelledBy.IsNone then
            cancelledBy <- ValueSome self

        try
            lifetime.Cancel()
        with :? ObjectDisposedException ->
            ()

    /// Opens this side's receive end, moving items that came early into it. `grant` sends the
    /// first credit (contexts); a one-way stream's first credit travels in its Start.
    member this.OpenInbox<'T>(grant: bool) : Inbox<'T> =
        let inbox = Inbox<'T>(this.ItemCodec<'T>(), this.Consumed, this.MarkRaised)
        let sink' = inbox :> IItemSink

        let grantNow =
            lock gate (fun () ->
                if inboundOpened then
                    invalidOp "a stream is already open on this context (one stream per context)"

                inboundOpened <- true

                if not (isNull early) then
                    for b in early do
                        sink'.Deliver(ReadOnlyMemory b)

                    early <- null

                if not (isNull inboundError) then sink'.Finish inboundError
                elif peerStopped then sink'.Finish null

                Volatile.Write(&sink, sink')
                grant && backpressure && not peerStopped && isNull inboundError)

        if grantNow then
            sendQuietly (Credit(wire, options.BufferSize))

        inbox

    /// One item was read (by the stream's one reader): grant credit back in batches of a
    /// quarter of the window, so the sender has credit left while a grant travels.
    member _.Consumed() =
        if backpressure && not inboundClosed then
            unacked <- unacked + 1
            readItems <- readItems + 1L
            let runs = Volatile.Read &extras

            if not (isNull runs) then
                let mutable run = struct (0L, 0)

                while runs.TryPeek(&run) && (let struct (last, _) = run in last <= readItems) do
                    runs.TryDequeue(&run) |> ignore
                    let struct (_, units) = run
                    unacked <- unacked + units

            if unacked >= grantEvery then
                let n = unacked
                unacked <- 0
                sendQuietlyWith true (if n = grantEvery then grant else Credit(wire, n))

    /// This side stopped reading (stream disposed): drop further items and tell the peer.
    member _.CloseInbound() =
        let notify =
            lock gate (fun () ->
                if inboundClosed then
                    false
                else
                    inboundClosed <- true

                    if not (isNull (box sink)) then
                        sink.Close()

                    not peerStopped && not outcome.Task.IsCompleted)

        if notify then
            sendQuietly (StreamClosed wire)

    /// This side is leaving the call before it ended (caller side): nobody reads what still
    /// arrives, so it is dropped and cannot overrun (the items buffered stay readable). The
    /// peer is not told: the cancel that follows ends it.
    member _.Leave() = lock gate (fun () -> inboundClosed <- true)

    member _.MarkOutboundOpen() = lock gate (fun () -> outboundOpened <- true)

    /// Why a send cannot go out: raises for errors and a stopped stream; true means drop it.
    member private this.SendBlocked() : bool =
        if not (isNull outboundError) then
            this.MarkRaised outboundError
            ExceptionDispatchInfo.Throw outboundError

        if localStopped then
            invalidOp "this stream was stopped (Stop or dispose): no more items can be sent on it"

        Volatile.Read &peerClosed

    /// Sends one item; under backpressure charges its size beyond one unit (`ItemRun.extraUnits`
    /// of the length its writer reports) against the credit.
    member private _.Emit<'T>(itemCodec: ItemCodec<'T>, value: 'T) : ValueTask =
        try
            LastItem.Length <- 0
            let sent = link.SendItem(wire, itemCodec, value, producer)

            if backpressure then
                credits.Charge(ItemRun.extraUnits LastItem.Length)

            sent
        with :? TractorNet.Ipc.ChannelClosedException as e ->
            raise (transportError e)

    /// Sends one item; under backpressure waits for credit. Items for a peer that closed its
    /// end (or whose call returned) are dropped.
    member this.SendItem<'T>(itemCodec: ItemCodec<'T>, value: 'T) : ValueTask =
        if this.SendBlocked() then ValueTask.CompletedTask
        elif not backpressure || credits.TryTake() then this.Emit(itemCodec, value)
        else ValueTask(this.SendSlow(itemCodec, value))

    member private this.SendSlow<'T>(itemCodec: ItemCodec<'T>, value: 'T) : Task =
        task {
            let mutable state = 0 // 0 waiting, 1 send, 2 drop

            while state = 0 do
                if this.SendBlocked() then
                    state <- 2
                else
                    let wait = credits.Wait()

                    if this.SendBlocked() then state <- 2
                    elif credits.TryTake() then state <- 1
                    else do! wait

            if state = 1 then
                do! this.Emit(itemCodec, value)
        }

    /// Marks this side's items as a one-way stream pump's (see `IMessageLink.SendItem`).
    member _.MarkProducer() = producer <- true

    /// True while the connection is writing earlier frames (a hint for `TryHold`).
    member _.Writing = link.Writing

    /// Writes one item into `held` instead of sending it (a one-way stream's pump holds items
    /// while the connection is writing, and sends them in one step with `SendHeld`): false when
    /// it cannot (no credit left, the stream is blocked, a user serializer); the caller then
    /// sends what is held, gives back `held`'s allowance (`ReturnAllowance`) and sends this item
    /// with `SendItem`, which waits or raises as needed. Under backpressure the item's units
    /// come from `held.Allowance`, refilled with all the gate's credits when it runs out.
    member _.TryHold<'T>(held: HeldItems, itemCodec: ItemCodec<'T>, value: 'T) : bool =
        if not (isNull outboundError) || localStopped || Volatile.Read &peerClosed || not itemCodec.InPlace then
            false
        elif backpressure && held.Allowance <= 0 && (held.Allowance <- credits.TakeAll(); held.Allowance = 0) then
            false
        else
            let buffer = held.Buffer
            let mark = buffer.Count

            let length =
                try
                    ItemRun.writeSmallItem buffer itemCodec value
                with _ ->
                    buffer.Truncate mark
                    reraise ()

            if backpressure then
                let left = held.Allowance - 1 - ItemRun.extraUnits length

                if left < 0 then
                    // A large item spent more than the allowance: the gate owes the rest.
                    credits.Charge(-left)
                    held.Allowance <- 0
                else
                    held.Allowance <- left

            held.Added length
            true

    /// Gives the credit `held` took and did not spend back to the gate.
    member _.ReturnAllowance(held: HeldItems) =
        let n = held.Allowance

        if n > 0 then
            held.Allowance <- 0
            credits.Add n

    /// Sends the items `held` holds, in one step, and empties it. Dropped if the peer closed.
    member this.SendHeld(held: HeldItems) : ValueTask =
        let n = held.Count

        if n = 0 then
            ValueTask.CompletedTask
        else
            try
                if this.SendBlocked() then
                    ValueTask.CompletedTask
                else
                    try
                        link.SendItems(wire, held.Written, n)
                    with :? TractorNet.Ipc.ChannelClosedException as e ->
                        raise (transportError e)
            finally
                held.Clear()

    /// True on the callee's side of the call.
    member _.IsCallee = key < 0L

    /// Ends this side's items (`Stop` to the peer, once). Receiving goes on.
    member _.StopSending() : Task =
        let send =
            lock gate (fun () ->
                localStopped <- true

                if stopSent then
                    false
                else
                    stopSent <- true
                    isNull outboundError && not peerClosed && not outcome.Task.IsCompleted)

        if send then
            task {
                try
                    do! link.Send(Stop wire)
                with _ ->
                    ()
            }
        else
            Task.CompletedTask

    /// No more items from this side, but the `Stop` waits for the callee's function to end:
    /// if it fails, its error (not a clean end) is what ends the caller's iteration. (A stream
    /// disposed while an exception unwinds cannot tell that it is.)
    member _.StopLater() = lock gate (fun () -> localStopped <- true)

    /// The callee's function ended: the stream ends with it (a `Stop` first if it succeeded and
    /// had a stream open; a failure's Error ends the caller's iteration instead).
    member this.FinishCallee(succeeded: bool) : Task =
        let needStop = lock gate (fun () -> outboundOpened && succeeded)
        let stopping = if needStop then this.StopSending() else Task.CompletedTask

        lock gate (fun () ->
            localStopped <- true
            inboundClosed <- true)

        credits.Wake()
        stopping

    /// Sends the started value (callee side).
    member _.SendStarted(value: byte[]) : Task =
        task { do! link.Send(Started(wire, value)) }

    /// Encodes a value with the call's payload codec.
    member _.Encode(t: Type, value: obj) = codec.Encode(t, value)

    /// Decodes a value with the call's payload codec.
    member _.Decode(t: Type, payload: byte[]) = codec.Decode(t, payload)

    /// Releases the cancellation registrations.
    member _.Release() =
        let rs = lock gate (fun () -> registrations)

        for r in rs do
            r.Dispose()
