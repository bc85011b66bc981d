namespace TractorNet.Ipc

open System
open System.Buffers
open System.Buffers.Binary
open System.Net.Sockets
open System.Threading
open System.Threading.Tasks
open System.Threading.Tasks.Sources
open TractorNet

/// <summary>
/// A full-duplex framed message connection.
/// </summary>
/// <remarks>
/// <para>Sending: <c>SendAsync</c> copies the frame into a queue and returns at once (a completed
/// <c>ValueTask</c>, no allocation); a flusher on the thread pool writes everything queued in one
/// socket call, so frames sent while a write is in flight are coalesced. Any number of threads
/// may send concurrently; each thread's frames arrive in its order. Above <c>SendQueueLimit</c>
/// queued bytes the returned task completes only when the queue has been written.</para>
/// <para>Receiving: one reader at a time calls <c>ReceiveAsync</c> (then reads <c>Current</c>) or runs
/// <c>ReceiveLoopAsync</c>. A payload is valid until the next receive (or until the loop's handler
/// task completes); copy it to keep it. Await each <c>ReceiveAsync</c> once, before the next: a
/// receive that has to wait reuses one wait object (nothing is allocated per wait).</para>
/// <para>Ending: <c>CloseAsync</c> sends a goodbye after the queued frames and closes the sending side;
/// the peer's receive then ends cleanly (false / loop returns). A connection that ends without
/// a goodbye (the peer died) raises <see cref="T:TractorNet.Ipc.TransportClosedException"/>. <c>DisposeAsync</c> closes and frees
/// the socket.</para>
/// </remarks>
/// Writes the start of a batch frame of `stream`'s items into the send queue and returns the
/// offset, from the start of its payload, of the frame's 4-byte big-endian item count.
type internal BatchFrameStart = delegate of BatchBuffer * stream: int64 -> int

/// Who writes a frame once it is queued, when no write is in progress.
type internal SendMode =
    /// The flusher on this thread's own pool queue (it runs once the sender pauses).
    | Local = 0
    /// The flusher on any pool thread, at once.
    | Soon = 1
    /// The sender itself, on its own thread.
    | Now = 2

[<Sealed; AllowNullLiteral>]
type Channel(connection: IConnection, options: ChannelOptions) =
    static let receiveBufferSize = 64 * 1024
    static let sendBufferSize = 64 * 1024
    /// Read into the free tail only if it has at least this much room; else compact first.
    static let minRead = 4096
    /// A batch frame takes more items while its payload is below this many bytes.
    static let batchLimit = 32 * 1024

    let options = if isNull options then ChannelOptions.Default else options
    do Frame.validateLimit options.MaxFrameSize
    let log = if isNull options.Log then Log.none else options.Log
    let remote = connection.RemoteAddress
    let mutable maxFrame = options.MaxFrameSize

    // ---- receive state (one reader at a time) ----
    let rhome: byte[] = GC.AllocateUninitializedArray receiveBufferSize
    let mutable rbuf = rhome
    let mutable rpooled = false
    let mutable rstart = 0
    let mutable rend = 0
    /// Bytes from rstart that the frame being received needs in all (header + payload).
    let mutable rneed = Frame.HeaderSize
    /// The size of the last frame parsed (header + payload): a grown buffer is kept while
    /// frames stay large, so each does not pay a regrowth and a copy.
    let mutable rlast = 0
    let mutable current = ReadOnlyMemory<byte>.Empty
    let mutable receiveEnded = false
    let mutable receiveError: exn = null
    /// The reader's wait for a frame while a socket read is in flight, and that read.
    let frameWait = ReusableWait<bool>()
    let mutable readInFlight = ValueTask<int>()
    let mutable readCompleted: Action = null

    // ---- send state (guarded by gate) ----
    let gate = obj ()
    let mutable pending = BatchBuffer sendBufferSize
    let mutable spare = BatchBuffer sendBufferSize
    let mutable flushing = false
    /// Non-null once sending is over: the reason (a ChannelClosedException for a local close).
    let mutable sendClosed: exn = null
    let mutable drainWaiter: TaskCompletionSource = null
    let mutable idleWaiter: TaskCompletionSource = null
    let mutable closeTask: Task = null
    /// The batch frame at the end of `pending`, which items of its stream join while it waits for
    /// the flusher: open or not, its stream, where its frame and its item count start, how many
    /// items it holds. Any other frame queued after it, or the flusher taking it, closes it.
    let mutable batchOpen = false
    let mutable batchStream = 0L
    let mutable batchFrame = 0
    let mutable batchCountAt = 0
    let mutable batchCount = 0

    // ---- lifetime ----
    /// Non-null once the connection was torn down; why.
    let mutable abortReason: exn = null
    let mutable disposed = 0
    let mutable peer = Unchecked.defaultof<IpcIdentity>

    new(connection: IConnection) = new Channel(connection, ChannelOptions.Default)

    /// <summary>The underlying connection.</summary>
    member _.Connection = connection

    /// <summary>The peer's address.</summary>
    member _.RemoteAddress = remote

    /// <summary>The authenticated peer, once a handshake succeeded (null before).</summary>
    member _.Peer = peer

    member internal _.SetPeer(p: IpcIdentity) = peer <- p

    /// The frame limit in force (the handshake runs with a small one).
    member internal _.MaxFrame
        with get () = maxFrame
        and set v = maxFrame <- v

    /// <summary>True once this side closed (or the connection was torn down): sends fail.</summary>
    member _.IsClosed = not (isNull (Volatile.Read &sendClosed))

    // ================= sending =================

    member private _.SendClosedError() =
        match sendClosed with
        | :? ChannelClosedException as e when isNull e.InnerException ->
            ChannelClosedException $"cannot send: the channel to {remote} was closed by this side" :> exn
        | reason -> ChannelClosedException($"cannot send: the channel to {remote} is closed ({reason.Message})", reason)

    /// Queues a frame while holding the gate; returns whether the caller must start the flusher
    /// and the task to wait on for backpressure (null if none).
    member private this.Enqueue(payload: ReadOnlySpan<byte>, schedule: byref<bool>) : Task =
        if not (isNull sendClosed) then
            raise (this.SendClosedError())
        batchOpen <- false
        pending.Ensure(Frame.HeaderSize + payload.Length)
        let tail = pending.Tail(Frame.HeaderSize + payload.Length)
        Frame.writeHeader tail payload.Length
        payload.CopyTo(tail.Slice Frame.HeaderSize)
        pending.Advance(Frame.HeaderSize + payload.Length)
        this.AfterEnqueue(&schedule)

    member private _.AfterEnqueue(schedule: byref<bool>) : Task =
        if not flushing then
            flushing <- true
            schedule <- true
        if pending.Count >= options.SendQueueLimit then
            if isNull drainWaiter then
                drainWaiter <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
            drainWaiter.Task
        else
            null

    /// Queues the flusher: on this thread's own queue (`local`: it runs when the sender awaits,
    /// the cheap way for a sender that waits for an answer), or on the shared queue, where an
    /// idle thread takes it at once (a sender that carries on: a stream's producer, a reader
    /// granting credit; on its own queue the write would wait until it stops).
    /// Ends the frame begun at `mark` in the send queue (under the gate): writes its length, or
    /// drops it and raises when it is over the frame limit.
    member private _.CloseFrame(mark: int) =
        let length = pending.Count - mark - Frame.HeaderSize
        if length > maxFrame then
            pending.Truncate mark
            raise (FrameTooLargeException(int64 length, maxFrame))
        pending.PatchHeader(mark, length)

    member private this.Schedule(local: bool) =
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal = local) |> ignore

    member private this.Schedule() = this.Schedule true

    /// <summary>
    /// Sends one frame. Completes at once unless the send queue is over its limit. Throws at
    /// once <see cref="T:TractorNet.Ipc.ChannelClosedException"/> if the channel is closed (the inner exception says why)
    /// and <see cref="T:TractorNet.Ipc.FrameTooLargeException"/> if the payload is over the limit (the channel stays up).
    /// </summary>
    member this.SendAsync(payload: ReadOnlySpan<byte>) : ValueTask =
        if payload.Length > maxFrame then
            raise (FrameTooLargeException(int64 payload.Length, maxFrame))
        let mutable schedule = false
        let mutable wait: Task = null
        Monitor.Enter gate
        try
            wait <- this.Enqueue(payload, &schedule)
        finally
            Monitor.Exit gate
        if schedule then this.Schedule()
        if isNull wait then ValueTask.CompletedTask else ValueTask wait

    /// <summary>Sends one frame. Completes at once unless the send queue is over its limit.</summary>
    member this.SendAsync(payload: ReadOnlyMemory<byte>) : ValueTask = this.SendAsync(payload.Span)

    /// <summary>Sends one frame. Completes at once unless the send queue is over its limit.</summary>
    member this.SendAsync(payload: byte[]) : ValueTask = this.SendAsync(ReadOnlySpan payload)

    /// <summary>
    /// Sends one frame that <paramref name="encode"/> writes straight into the send queue (no intermediate copy).
    /// <paramref name="encode"/> runs under the channel's send lock: keep it short and never send from inside it.
    /// If it throws, nothing is sent and the exception propagates.
    /// </summary>
    member this.SendAsync<'State>(state: 'State, encode: Action<IBufferWriter<byte>, 'State>) : ValueTask =
        this.Send(state, encode, SendMode.Local)

    /// Sends one frame like `SendAsync(state, encode)`, but when no write is in progress writes it
    /// on this thread at once instead of handing the write to the thread pool: for a lone
    /// request or reply whose sender then waits (a round trip saves a thread hand-off, which
    /// costs more than the write on a busy machine). Frames queued meanwhile by other senders go
    /// out in the same write; a write the socket cannot take at once finishes asynchronously.
    member internal this.SendNowAsync<'State>(state: 'State, encode: Action<IBufferWriter<byte>, 'State>) : ValueTask =
        this.Send(state, encode, SendMode.Now)

    /// `SendAsync(state, encode)` for a sender that carries on after it (a reader granting credit
    /// as it reads): the write is queued for any pool thread, not this one.
    member internal this.SendSoonAsync<'State>(state: 'State, encode: Action<IBufferWriter<byte>, 'State>) : ValueTask =
        this.Send(state, encode, SendMode.Soon)

    member private this.Send<'State>(state: 'State, encode: Action<IBufferWriter<byte>, 'State>, mode: SendMode) : ValueTask =
        let mutable schedule = false
        let mutable wait: Task = null
        Monitor.Enter gate
        try
            if not (isNull sendClosed) then
                raise (this.SendClosedError())
            batchOpen <- false
            let mark = pending.Count
            pending.Ensure Frame.HeaderSize
            pending.Advance Frame.HeaderSize
            try
                encode.Invoke(pending, state)
            with _ ->
                pending.Truncate mark
                reraise ()
            this.CloseFrame mark
            wait <- this.AfterEnqueue(&schedule)
        finally
            Monitor.Exit gate
        if schedule then
            match mode with
            | SendMode.Now -> this.FlushLoop()
            | SendMode.Soon -> this.Schedule false
            | _ -> this.Schedule true
        if isNull wait then ValueTask.CompletedTask else ValueTask wait

    // ---- sending stream items: batch frames ----

    /// Writes one item at the end of the queue; on failure forgets it and re-raises.
    member private _.WriteItem<'State>(state: 'State, item: Action<BatchBuffer, 'State>) =
        let mark = pending.Count
        try
            item.Invoke(pending, state)
        with _ ->
            pending.Truncate mark
            reraise ()

    /// Opens a batch frame of `stream` at the end of the queue holding `count` items, which
    /// `items` writes (under the gate).
    member private this.OpenBatch<'State>(stream: int64, state: 'State, count: int, start: BatchFrameStart, items: Action<BatchBuffer, 'State>) =
        batchOpen <- false
        let mark = pending.Count
        pending.Ensure Frame.HeaderSize
        pending.Advance Frame.HeaderSize
        let countAt =
            try
                let at = start.Invoke(pending, stream)
                items.Invoke(pending, state)
                at
            with _ ->
                pending.Truncate mark
                reraise ()
        this.CloseFrame mark
        batchCountAt <- mark + Frame.HeaderSize + countAt
        BinaryPrimitives.WriteInt32BigEndian(pending.Slice(batchCountAt, 4), count)
        batchOpen <- true
        batchStream <- stream
        batchFrame <- mark
        batchCount <- count

    /// <summary>
    /// Sends items of <paramref name="stream"/> in a batch frame (docs/protocol.md): while the
    /// last frame queued, not yet taken by the flusher, is a batch frame of the same stream with
    /// room left, the items join it (its item count and length are patched in place); otherwise
    /// <paramref name="start"/> opens a new one. So a lone item leaves at once, in a frame of its own, and the
    /// items queued while a write is in flight travel together, in order, at no per-frame cost.
    /// <paramref name="items"/> writes the <paramref name="count"/> items; both run under the send lock (keep them
    /// short, never send from them). A failing writer sends none of them and its exception propagates.
    /// <paramref name="soon"/>: the sender carries on producing, so the flusher is queued for any thread.
    /// </summary>
    member internal this.SendItemsAsync<'State>(stream: int64, state: 'State, count: int, start: BatchFrameStart, items: Action<BatchBuffer, 'State>, soon: bool) : ValueTask =
        let mutable schedule = false
        let mutable wait: Task = null
        Monitor.Enter gate
        try
            if not (isNull sendClosed) then
                raise (this.SendClosedError())
            if batchOpen && batchStream = stream && pending.Count - batchFrame - Frame.HeaderSize < batchLimit then
                let mark = pending.Count
                this.WriteItem(state, items)
                let length = pending.Count - batchFrame - Frame.HeaderSize
                if length > maxFrame then
                    // They do not fit in this frame: they open the next one.
                    pending.Truncate mark
                    this.OpenBatch(stream, state, count, start, items)
                else
                    batchCount <- batchCount + count
                    BinaryPrimitives.WriteInt32BigEndian(pending.Slice(batchCountAt, 4), batchCount)
                    pending.PatchHeader(batchFrame, length)
            else
                this.OpenBatch(stream, state, count, start, items)
            wait <- this.AfterEnqueue(&schedule)
        finally
            Monitor.Exit gate
        if schedule then this.Schedule(not soon)
        if isNull wait then ValueTask.CompletedTask else ValueTask wait

    /// Sends one item of <paramref name="stream"/> in a batch frame (see <c>SendItemsAsync</c>).
    member internal this.SendItemAsync<'State>(stream: int64, state: 'State, start: BatchFrameStart, item: Action<BatchBuffer, 'State>, soon: bool) : ValueTask =
        this.SendItemsAsync(stream, state, 1, start, item, soon)

    /// True while the flusher has frames to write (a hint, read without the lock): a stream
    /// producer may hold its next items back meanwhile and send them in one step.
    member internal _.IsWriting = Volatile.Read &flushing

    // ---- the flusher ----

    /// Takes the queued bytes for writing (swapping in the empty spare buffer), or ends the
    /// flusher's turn when there is nothing left.
    member private _.TakeBatch() : BatchBuffer =
        let mutable release: TaskCompletionSource = null
        let mutable idle: TaskCompletionSource = null
        let batch =
            Monitor.Enter gate
            try
                if pending.Count = 0 || not (isNull abortReason) then
                    flushing <- false
                    idle <- idleWaiter
                    idleWaiter <- null
                    release <- drainWaiter
                    drainWaiter <- null
                    null
                else
                    batchOpen <- false
                    let b = pending
                    pending <- spare
                    spare <- b
                    release <- drainWaiter
                    drainWaiter <- null
                    b
            finally
                Monitor.Exit gate
        if not (isNull release) then release.TrySetResult() |> ignore
        if not (isNull idle) then idle.TrySetResult() |> ignore
        batch

    /// Writes batches until the queue is empty; goes asynchronous only when the socket does.
    member private this.FlushLoop() =
        let mutable go = true
        while go do
            match this.TakeBatch() with
            | null -> go <- false
            | batch ->
                let vt =
                    try
                        connection.SendAsync(batch.Written, CancellationToken.None)
                    with e ->
                        ValueTask(Task.FromException e)
                if vt.IsCompletedSuccessfully then
                    batch.Reset()
                else
                    go <- false
                    this.FinishSendAsync(vt, batch) |> ignore

    member private this.FinishSendAsync(vt: ValueTask, batch: BatchBuffer) : Task =
        task {
            let mutable ok = false
            try
                do! vt
                ok <- true
            with e ->
                this.OnSendFailed e
            if ok then
                batch.Reset()
                this.FlushLoop()
        }

    member private this.OnSendFailed(e: exn) =
        let reason =
            match abortReason with
            | null ->
                let r = TransportClosedException($"the connection to {remote} broke while sending: {e.Message}", e)
                log.Log(LogLevel.Debug, r.Message)
                r :> exn
            | r -> r
        this.Abort reason

    interface IThreadPoolWorkItem with
        member this.Execute() = this.FlushLoop()

    // ================= receiving =================

    member private this.FailReceive(e: exn, level: LogLevel) : exn =
        if isNull receiveError then
            receiveError <- e
            if isNull abortReason then
                log.Log(level, $"closing the connection to {remote}: {e.Message}")
                this.Abort e
        receiveError

    /// Parses the next frame from the buffer: 1 = `current` holds a frame, 0 = more bytes
    /// needed, -1 = goodbye. Throws (and closes the connection) on a bad prefix.
    member private this.TryParse() : int =
        let avail = rend - rstart
        if avail < Frame.HeaderSize then
            rneed <- Frame.HeaderSize
            0
        else
            match Frame.readHeader (ReadOnlySpan(rbuf, rstart, Frame.HeaderSize)) with
            | Payload length ->
                if length > maxFrame then
                    raise (this.FailReceive(FrameTooLargeException(int64 length, maxFrame), LogLevel.Warning))
                let total = Frame.HeaderSize + length
                if avail >= total then
                    rlast <- total
                    current <- ReadOnlyMemory(rbuf, rstart + Frame.HeaderSize, length)
                    rstart <- rstart + total
                    1
                else
                    rneed <- total
                    0
            | Goodbye ->
                rstart <- rstart + Frame.HeaderSize
                receiveEnded <- true
                -1
            | Malformed prefix ->
                raise (this.FailReceive(MalformedFrameException $"malformed frame prefix 0x{prefix:X8}", LogLevel.Warning))

    /// Where the next socket read goes: compacts the buffer, or grows it while a large frame
    /// keeps arriving (never ahead of the bytes: a lying length prefix costs no memory). A grown
    /// buffer goes back to the pool once it is drained after a small frame.
    member private _.ReadSpace() : Memory<byte> =
        if rstart = rend then
            rstart <- 0
            rend <- 0
            if rpooled && rlast <= receiveBufferSize / 2 then
                ArrayPool<byte>.Shared.Return rbuf
                rbuf <- rhome
                rpooled <- false
        if rbuf.Length - rend < min minRead (rneed - (rend - rstart)) then
            let avail = rend - rstart
            if rstart > 0 && rneed <= rbuf.Length then
                Buffer.BlockCopy(rbuf, rstart, rbuf, 0, avail)
            else
                let size = min rneed (max (2 * rbuf.Length) receiveBufferSize)
                let bigger = ArrayPool<byte>.Shared.Rent size
                Buffer.BlockCopy(rbuf, rstart, bigger, 0, avail)
                if rpooled then
                    ArrayPool<byte>.Shared.Return rbuf
                rbuf <- bigger
                rpooled <- true
            rstart <- 0
            rend <- avail
        Memory<byte>(rbuf, rend, rbuf.Length - rend)

    member private this.ReceiveError(e: exn) : exn =
        match abortReason with
        | null ->
            let why =
                match e with
                | :? SocketException as se when se.SocketErrorCode = SocketError.ConnectionReset -> "the connection was reset by the peer"
                | :? SocketException as se -> $"{se.SocketErrorCode}"
                | _ -> e.Message
            this.FailReceive(TransportClosedException($"the connection to {remote} broke: {why}", e), LogLevel.Debug)
        | :? TransportClosedException as t -> t :> exn
        | :? ChannelClosedException as c when isNull c.InnerException -> ChannelClosedException $"the channel to {remote} was closed by this side" :> exn
        | reason -> ChannelClosedException($"the channel to {remote} is closed ({reason.Message})", reason) :> exn

    /// Takes `n` freshly read bytes; 0 means the peer closed its side.
    member private this.OnRead(n: int) =
        if n > 0 then
            rend <- rend + n
        else
            let avail = rend - rstart
            let why =
                if avail = 0 then
                    "the peer closed the connection without a goodbye (did it die?)"
                else
                    $"the connection closed in the middle of a frame ({avail} of {rneed} bytes received)"
            raise (this.FailReceive(TransportClosedException $"connection to {remote} lost: {why}", LogLevel.Debug))

    /// Whether received bytes wait in the buffer (a frame, or part of one): the next receive may
    /// then complete without the socket. For the reader only.
    member internal _.HasBuffered = rend > rstart

    /// <summary>The frame the last successful <c>ReceiveAsync</c> returned; valid until the next receive.</summary>
    member _.Current = current

    /// Reads from the socket until a frame is parsed (1) or the goodbye (-1); 0 when a read
    /// went asynchronous: `OnReadCompleted` carries on when it completes. Throws on errors.
    member private this.ReadUntilFrame() : int =
        let mutable result = 0
        let mutable pending = false
        while result = 0 && not pending do
            let space = this.ReadSpace()
            let read =
                try
                    connection.ReceiveAsync(space, CancellationToken.None)
                with e ->
                    raise (this.ReceiveError e)
            if read.IsCompleted then
                this.OnRead(this.ReadResult read)
                result <- this.TryParse()
            else
                readInFlight <- read
                pending <- true
        if pending then
            if isNull readCompleted then
                readCompleted <- Action(this.OnReadCompleted)
            readInFlight.GetAwaiter().UnsafeOnCompleted readCompleted
        result

    member private this.ReadResult(read: ValueTask<int>) : int =
        try
            read.GetAwaiter().GetResult()
        with e ->
            raise (this.ReceiveError e)

    /// A socket read that went asynchronous completed: parse, read on, or complete the wait.
    member private this.OnReadCompleted() =
        try
            let read = readInFlight
            readInFlight <- ValueTask<int>()
            this.OnRead(this.ReadResult read)
            match this.TryParse() with
            | 0 ->
                match this.ReadUntilFrame() with
                | 0 -> ()
                | r -> frameWait.SetResult((r = 1))
            | r -> frameWait.SetResult((r = 1))
        with e ->
            frameWait.SetException e

    /// Waits for the bytes of the next frame without allocating: a reusable wait completes when
    /// the socket read does.
    member private this.ReceiveSlow() : ValueTask<bool> =
        let version = frameWait.Reset()
        match this.ReadUntilFrame() with
        | 0 -> frameWait.Task version
        | r -> ValueTask<bool>((r = 1))

    /// <summary>
    /// Waits for the next frame: true and <c>Current</c> holds it, or false at the peer's clean end
    /// of stream. Throws <see cref="T:TractorNet.Ipc.TransportClosedException"/> if the connection broke, and
    /// <see cref="T:TractorNet.Ipc.FrameTooLargeException"/>/<see cref="T:TractorNet.Ipc.MalformedFrameException"/> (closing the connection) on bad input.
    /// Completes synchronously, without allocating, while frames are buffered.
    /// </summary>
    member this.ReceiveAsync() : ValueTask<bool> =
        try
            if not (isNull receiveError) then raise receiveError
            elif receiveEnded then ValueTask<bool> false
            else
                match this.TryParse() with
                | 1 -> ValueTask<bool> true
                | -1 -> ValueTask<bool> false
                | _ -> this.ReceiveSlow()
        with e ->
            ValueTask<bool>(Task.FromException<bool> e)

    /// <summary>
    /// Hands every frame to <paramref name="handler"/> until the peer's clean end of stream (the task completes)
    /// or an error (the task faults). The payload is valid until the handler's task completes.
    /// </summary>
    member this.ReceiveLoopAsync(handler: Func<ReadOnlyMemory<byte>, ValueTask>) : Task =
        task {
            if not (isNull receiveError) then raise receiveError
            let mutable go = not receiveEnded
            while go do
                match this.TryParse() with
                | 1 -> do! handler.Invoke current
                | -1 -> go <- false
                | _ ->
                    let space = this.ReadSpace()
                    let mutable n = 0
                    try
                        let! r = connection.ReceiveAsync(space, CancellationToken.None)
                        n <- r
                    with e ->
                        raise (this.ReceiveError e)
                    this.OnRead n
        }

    // ================= ending =================

    /// <summary>
    /// Sends a goodbye after every queued frame, waits until they are written and closes the
    /// sending side. Receiving goes on until the peer's own end of stream. Idempotent.
    /// </summary>
    member this.CloseAsync() : Task =
        let mutable schedule = false
        let t =
            Monitor.Enter gate
            try
                if not (isNull closeTask) then
                    closeTask
                elif not (isNull sendClosed) then
                    Task.CompletedTask
                else
                    batchOpen <- false
                    pending.Ensure Frame.HeaderSize
                    Frame.writeGoodbye (pending.Tail Frame.HeaderSize)
                    pending.Advance Frame.HeaderSize
                    sendClosed <- ChannelClosedException "closed"
                    if not flushing then
                        flushing <- true
                        schedule <- true
                    idleWaiter <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
                    let idle = idleWaiter.Task
                    closeTask <-
                        task {
                            do! idle
                            if isNull abortReason then connection.ShutdownSend()
                        }
                    closeTask
            finally
                Monitor.Exit gate
        if schedule then this.Schedule()
        t

    /// <summary>
    /// Tears the connection down at once (no goodbye: the peer sees the connection lost).
    /// Pending and later operations fail with <see cref="T:TractorNet.Ipc.ChannelClosedException"/> carrying <paramref name="reason"/>.
    /// </summary>
    member this.Abort(reason: exn) =
        let reason = if isNull reason then ChannelClosedException "aborted" :> exn else reason
        let mutable waiters: TaskCompletionSource list = []
        let first =
            Monitor.Enter gate
            try
                if isNull abortReason then
                    abortReason <- reason
                    if isNull sendClosed then sendClosed <- reason
                    waiters <- [ drainWaiter; idleWaiter ] |> List.filter (isNull >> not)
                    drainWaiter <- null
                    idleWaiter <- null
                    true
                else
                    false
            finally
                Monitor.Exit gate
        if first then
            connection.Dispose()
            for w in waiters do
                w.TrySetException(ChannelClosedException($"the channel to {remote} was aborted", reason)) |> ignore

    /// <summary>Closes gracefully (bounded by <c>CloseTimeout</c>), then frees the connection.</summary>
    member this.DisposeAsync() : ValueTask =
        if Interlocked.Exchange(&disposed, 1) <> 0 then
            ValueTask.CompletedTask
        else
            ValueTask(
                task {
                    try
                        do! this.CloseAsync().WaitAsync(options.CloseTimeout)
                    with _ ->
                        ()
                    this.Abort(ChannelClosedException "closed")
                }
            )

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()
