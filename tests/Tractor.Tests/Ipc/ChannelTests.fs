/// Channels over real sockets: ordered lossless delivery under concurrent senders, clean end of
/// stream, abrupt close, backpressure, errors on closed channels.
module TractorNet.Tests.ChannelTests

open System
open System.Buffers
open System.Buffers.Binary
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Ipc
open TractorNet.Tests.IpcSupport

let ``frames from concurrent senders all arrive, each sender's in order`` (kind: string) =
    let listener, client, server = channelPair kind null
    use _ = listener
    let senders = 8
    let perSender = 20000
    let received = Array.zeroCreate<int> senders
    let mutable errors = 0
    let receiving =
        server.ReceiveLoopAsync(fun frame ->
            let span = frame.Span
            let sender = BinaryPrimitives.ReadInt32BigEndian span
            let seq = BinaryPrimitives.ReadInt32BigEndian(span.Slice 4)
            // The payload repeats the sequence number to a length that varies with it.
            if seq <> received[sender] || span.Length <> 8 + seq % 200 then
                errors <- errors + 1
            received[sender] <- seq + 1
            ValueTask.CompletedTask)
    let send (sender: int) =
        Task.Run<unit>(fun () ->
            task {
                let buffer = Array.zeroCreate<byte> (8 + 200)
                for seq in 0 .. perSender - 1 do
                    BinaryPrimitives.WriteInt32BigEndian(Span buffer, sender)
                    BinaryPrimitives.WriteInt32BigEndian(Span(buffer, 4, 4), seq)
                    do! client.SendAsync(ReadOnlyMemory(buffer, 0, 8 + seq % 200))
            })
    await (Task.WhenAll(Array.init senders send))
    await (client.CloseAsync())
    await receiving
    Assert.That(errors, Is.EqualTo 0)
    Assert.That(received, Is.All.EqualTo perSender)
    await (client.DisposeAsync().AsTask())
    await (server.DisposeAsync().AsTask())

let ``large and small frames interleave intact`` () =
    let listener, client, server = channelPair "uds" null
    use _ = listener
    let sizes = [| 0; 1; 70000; 3; 1 <<< 20; 5; 4 * (1 <<< 20); 17 |]
    let payload n = Array.init n (fun i -> byte ((i * 31 + n) % 251))
    let sending =
        task {
            for n in sizes do
                do! client.SendAsync(payload n)
            do! client.CloseAsync()
        }
    let frames = awaitValue (receiveAll server)
    await sending
    Assert.That(frames.Count, Is.EqualTo sizes.Length)
    for i in 0 .. sizes.Length - 1 do
        Assert.That(frames[i] = payload sizes[i], Is.True, $"frame {i} ({sizes[i]} bytes) differs")

let ``the peer closing gives a clean end of stream after every frame`` (kind: string) =
    let listener, client, server = channelPair kind null
    use _ = listener
    for i in 1..1000 do
        client.SendAsync(BitConverter.GetBytes i) |> ignore
    await (client.DisposeAsync().AsTask())
    let frames = awaitValue (receiveAll server)
    Assert.That(frames |> Seq.map (fun f -> BitConverter.ToInt32 f) |> Seq.toArray, Is.EqualTo<int[]> [| 1..1000 |])
    // End of stream is sticky.
    Assert.That(awaitValue (server.ReceiveAsync().AsTask()), Is.False)
    await (server.DisposeAsync().AsTask())

let ``a connection lost without goodbye is a transport-closed error, not a hang`` (kind: string) =
    let listener, client, server = channelPair kind (ChannelOptions(Log = Log.none))
    use _ = listener
    await (client.SendAsync([| 1uy |]).AsTask())
    Assert.That(awaitValue (server.ReceiveAsync().AsTask()), Is.True)
    // What a killed process looks like: its socket closes with no goodbye.
    client.Abort null
    let e = Assert.ThrowsAsync<TransportClosedException>(fun () -> server.ReceiveAsync().AsTask().WaitAsync hangGuard)
    Assert.That(e.Message, Does.Contain "without a goodbye")
    // And the error stays.
    Assert.ThrowsAsync<TransportClosedException>(fun () -> server.ReceiveAsync().AsTask()) |> ignore

let ``a connection cut in the middle of a frame says so`` () =
    let listener, client, server = connectedPair (freshUds ())
    use _ = listener
    let channel = new Channel(server, ChannelOptions(Log = Log.none))
    await (client.SendAsync(ReadOnlyMemory [| 0uy; 0uy; 0uy; 10uy; 1uy; 2uy |], CancellationToken.None).AsTask())
    client.Dispose()
    let e = Assert.ThrowsAsync<TransportClosedException>(fun () -> channel.ReceiveAsync().AsTask().WaitAsync hangGuard)
    Assert.That(e.Message, Does.Contain "middle of a frame (6 of 14 bytes")

let ``a receive pending when the peer dies ends with transport-closed`` () =
    let listener, client, server = channelPair "uds" (ChannelOptions(Log = Log.none))
    use _ = listener
    let pending = server.ReceiveLoopAsync(fun _ -> ValueTask.CompletedTask)
    client.Abort null
    Assert.ThrowsAsync<TransportClosedException>(fun () -> pending.WaitAsync hangGuard) |> ignore

let ``sending on a closed channel is a clear error`` () =
    let listener, client, server = channelPair "uds" null
    use _ = listener
    await (client.CloseAsync())
    let e = Assert.Throws<ChannelClosedException>(fun () -> client.SendAsync([| 1uy |]) |> ignore)
    Assert.That(e.Message, Does.Contain "closed by this side")
    await (client.DisposeAsync().AsTask())
    Assert.Throws<ChannelClosedException>(fun () -> client.SendAsync([| 1uy |]) |> ignore) |> ignore
    await (server.DisposeAsync().AsTask())

let ``a local close ends a pending receive with channel-closed`` () =
    let listener, client, server = channelPair "uds" null
    use _ = listener
    let pending = client.ReceiveAsync().AsTask()
    await (client.DisposeAsync().AsTask())
    Assert.ThrowsAsync<ChannelClosedException>(fun () -> pending.WaitAsync hangGuard) |> ignore
    await (server.DisposeAsync().AsTask())

let ``sending to a dead peer fails the channel instead of hanging`` () =
    let listener, client, server = channelPair "uds" (ChannelOptions(Log = Log.none))
    use _ = listener
    server.Abort null
    // Keep sending until the failure is noticed; it must be, well before the hang guard.
    let deadline = DateTime.UtcNow + hangGuard
    let mutable failed: exn = null
    while isNull failed && DateTime.UtcNow < deadline do
        try
            client.SendAsync(Array.zeroCreate<byte> 1000).AsTask().Wait()
            Thread.Yield() |> ignore
        with e ->
            failed <- e
    Assert.That(failed, Is.Not.Null)
    let failed = match failed with :? AggregateException as a -> a.InnerException | e -> e
    Assert.That(failed, Is.InstanceOf<ChannelClosedException>())
    Assert.That(failed.InnerException, Is.InstanceOf<TransportClosedException>())

let ``a sender is held back while the peer does not read, and released when it does`` () =
    let options = ChannelOptions(SendQueueLimit = 64 * 1024)
    let listener, client, server = channelPair "uds" options
    use _ = listener
    let frame = Array.zeroCreate<byte> 4096
    // With nobody reading, socket buffers fill, then the queue: some send must stay pending.
    let mutable held: Task = null
    let mutable sent = 0
    while isNull held && sent < 100000 do
        let vt = client.SendAsync frame
        sent <- sent + 1
        if not vt.IsCompleted then held <- vt.AsTask()
    // (Whether it is still pending now is a race with the flusher; that one was held is not.)
    Assert.That(held, Is.Not.Null, "a send should have been held back")
    let reading = task {
        let mutable n = 0
        while n < sent do
            let! _ = server.ReceiveAsync()
            n <- n + 1
        return n }
    await held
    Assert.That(awaitValue reading, Is.EqualTo sent)

let ``an encoder writes the frame in place; one that throws sends nothing`` () =
    let listener, client, server = channelPair "uds" null
    use _ = listener
    let encode = Action<IBufferWriter<byte>, string>(fun w s ->
        if s = "boom" then
            w.Write(ReadOnlySpan "partial"B)
            failwith "encoder failed"
        w.Write(ReadOnlySpan(Text.Encoding.UTF8.GetBytes s)))
    await (client.SendAsync("one", encode).AsTask())
    Assert.Throws<exn>(fun () -> client.SendAsync("boom", encode) |> ignore) |> ignore
    await (client.SendAsync("two", encode).AsTask())
    await (client.CloseAsync())
    let frames = awaitValue (receiveAll server) |> Seq.map Text.Encoding.UTF8.GetString |> Seq.toArray
    Assert.That(frames, Is.EqualTo<string[]> [| "one"; "two" |])

let ``both directions carry traffic at once`` () =
    let listener, a, b = channelPair "tcp" null
    use _ = listener
    let n = 50000
    let pump (ch: Channel) =
        task {
            for i in 1..n do
                do! ch.SendAsync(BitConverter.GetBytes i)
            do! ch.CloseAsync()
        }
    let count (ch: Channel) =
        task {
            let mutable expected = 1
            let mutable go = true
            while go do
                let! more = ch.ReceiveAsync()
                if more then
                    if BitConverter.ToInt32 ch.Current.Span <> expected then failwith "out of order"
                    expected <- expected + 1
                else go <- false
            return expected - 1
        }
    let ra = count a
    let rb = count b
    await (Task.WhenAll(pump a, pump b))
    Assert.That(awaitValue ra, Is.EqualTo n)
    Assert.That(awaitValue rb, Is.EqualTo n)

let ``sending and receiving small frames allocates nothing per frame`` () =
    let listener, client, server = channelPair "uds" null
    use _ = listener
    let frames = 1_000_000
    let mutable received = 0
    let done' = TaskCompletionSource()
    let receiving =
        server.ReceiveLoopAsync(fun _ ->
            received <- received + 1
            if received = frames + 100_000 then done'.SetResult()
            ValueTask.CompletedTask)
    let payload = Array.zeroCreate<byte> 16
    let send n =
        for _ in 1..n do
            let vt = client.SendAsync payload
            if not vt.IsCompletedSuccessfully then vt.AsTask().Wait()
    send 100_000 // warm-up: buffers, pools, thread-pool queues
    let thread0 = GC.GetAllocatedBytesForCurrentThread()
    let total0 = GC.GetTotalAllocatedBytes true
    send frames
    let sendThread = GC.GetAllocatedBytesForCurrentThread() - thread0
    await done'.Task
    let total = GC.GetTotalAllocatedBytes true - total0
    System.Console.Out.WriteLine $"{frames} frames: {sendThread} bytes allocated by the sender, {total} in the process"
    // One object per frame would be at least 24 MB; growing the queue to its limit is a few MB once.
    Assert.That(sendThread, Is.LessThan(8L <<< 20))
    // The receive loop is an F# task: a state machine (no allocation per frame) only when the
    // library is compiled with optimisations; a Debug build runs it through dynamic closures.
    let optimized =
        match Reflection.CustomAttributeExtensions.GetCustomAttribute<Diagnostics.DebuggableAttribute>(typeof<Channel>.Assembly) with
        | null -> true
        | d -> not d.IsJITOptimizerDisabled
    if optimized then
        Assert.That(total, Is.LessThan(8L <<< 20))
    await (client.DisposeAsync().AsTask())
    await receiving
    await (server.DisposeAsync().AsTask())

let ``a peer process killed with SIGKILL is a transport-closed error, not a hang`` () =
    let address = freshUds ()
    let path = match address with IpcAddress.Uds p -> p | _ -> failwith "uds"
    use listener = Transport.Listen address
    // A foreign peer: sends one frame, then waits to be killed.
    let script =
        "import socket,sys,time\n"
        + "s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
        + "s.sendall(b'\\x00\\x00\\x00\\x03abc'); time.sleep(60)\n"
    let psi = Diagnostics.ProcessStartInfo("python3", UseShellExecute = false)
    psi.ArgumentList.Add "-c"
    psi.ArgumentList.Add script
    psi.ArgumentList.Add path
    let peer =
        try
            Diagnostics.Process.Start psi
        with :? ComponentModel.Win32Exception ->
            Assert.Ignore "python3 is not installed"
            null
    use _ = peer
    try
        let channel = new Channel(awaitValue (listener.AcceptAsync(CancellationToken.None).AsTask()), ChannelOptions(Log = Log.none))
        Assert.That(awaitValue (channel.ReceiveAsync().AsTask()), Is.True)
        Assert.That(Text.Encoding.ASCII.GetString channel.Current.Span, Is.EqualTo "abc")
        let pending = channel.ReceiveAsync().AsTask()
        peer.Kill true
        peer.WaitForExit()
        let e = Assert.ThrowsAsync<TransportClosedException>(fun () -> pending.WaitAsync hangGuard)
        Assert.That(e.Message, Does.Contain "without a goodbye")
    finally
        if not peer.HasExited then
            peer.Kill true
            peer.WaitForExit()

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ChannelTests" [
        yield! Register.cases "frames from concurrent senders all arrive, each sender's in order" [
            "(\"uds\")", (fun () -> ``frames from concurrent senders all arrive, each sender's in order`` ("uds"))
            "(\"tcp\")", (fun () -> ``frames from concurrent senders all arrive, each sender's in order`` ("tcp"))
        ]
        Register.test "large and small frames interleave intact" ``large and small frames interleave intact``
        yield! Register.cases "the peer closing gives a clean end of stream after every frame" [
            "(\"uds\")", (fun () -> ``the peer closing gives a clean end of stream after every frame`` ("uds"))
            "(\"tcp\")", (fun () -> ``the peer closing gives a clean end of stream after every frame`` ("tcp"))
        ]
        yield! Register.cases "a connection lost without goodbye is a transport-closed error, not a hang" [
            "(\"uds\")", (fun () -> ``a connection lost without goodbye is a transport-closed error, not a hang`` ("uds"))
            "(\"tcp\")", (fun () -> ``a connection lost without goodbye is a transport-closed error, not a hang`` ("tcp"))
        ]
        Register.test "a connection cut in the middle of a frame says so" ``a connection cut in the middle of a frame says so``
        Register.test "a receive pending when the peer dies ends with transport-closed" ``a receive pending when the peer dies ends with transport-closed``
        Register.test "sending on a closed channel is a clear error" ``sending on a closed channel is a clear error``
        Register.test "a local close ends a pending receive with channel-closed" ``a local close ends a pending receive with channel-closed``
        Register.test "sending to a dead peer fails the channel instead of hanging" ``sending to a dead peer fails the channel instead of hanging``
        Register.test "a sender is held back while the peer does not read, and released when it does" ``a sender is held back while the peer does not read, and released when it does``
        Register.test "an encoder writes the frame in place; one that throws sends nothing" ``an encoder writes the frame in place; one that throws sends nothing``
        Register.test "both directions carry traffic at once" ``both directions carry traffic at once``
        Register.test "sending and receiving small frames allocates nothing per frame" ``sending and receiving small frames allocates nothing per frame``
        Register.test "a peer process killed with SIGKILL is a transport-closed error, not a hang" ``a peer process killed with SIGKILL is a transport-closed error, not a hang``
    ]
