/// The frame format and its limit: prefixes round-trip, bad prefixes and oversized frames close
/// only the offending connection.
module TractorNet.Tests.FrameTests

open System
open System.Net.Sockets
open System.Threading.Tasks
open System.Buffers
open FsCheck
open NUnit.Framework
open TractorNet.Ipc
open TractorNet.Tests.IpcSupport

let ``a payload length prefix reads back as that length`` (length: PositiveInt) =
    let n = length.Get
    let buffer = Array.zeroCreate<byte> 4
    Frame.writeHeader (Span buffer) n
    Frame.readHeader (ReadOnlySpan buffer) = Payload n
    && buffer[0] = byte (n >>> 24) // big-endian

let ``the goodbye marker and top-bit prefixes are told apart from lengths`` () =
    let read (bytes: byte[]) = Frame.readHeader (ReadOnlySpan bytes)
    Assert.That(read [| 0uy; 0uy; 0uy; 0uy |], Is.EqualTo(Payload 0))
    Assert.That(read [| 0x7Fuy; 0xFFuy; 0xFFuy; 0xFFuy |], Is.EqualTo(Payload Int32.MaxValue))
    Assert.That(read [| 0xFFuy; 0xFFuy; 0xFFuy; 0xFFuy |], Is.EqualTo Goodbye)
    Assert.That(read [| 0x80uy; 0uy; 0uy; 1uy |], Is.EqualTo(Malformed 0x80000001u))

let ``a configured limit outside 1 byte to 1 GiB is refused`` () =
    let listener, c, s = connectedPair (freshUds ())
    use _ = listener
    use _ = s
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> new Channel(c, ChannelOptions(MaxFrameSize = 0)) |> ignore) |> ignore
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> new Channel(c, ChannelOptions(MaxFrameSize = Int32.MaxValue)) |> ignore) |> ignore
    c.Dispose()

let ``an incoming frame over the limit closes that connection with a logged reason`` (kind: string) =
    let log = CollectingLog()
    let listener, client, server = channelPair kind (ChannelOptions(MaxFrameSize = 1024, Log = log))
    use _ = listener
    await (client.SendAsync(Array.create 1000 1uy).AsTask())
    // The sender's limit is larger than the receiver's: only the receiver enforces its own.
    client.MaxFrame <- 4096
    await (client.SendAsync(Array.create 2000 2uy).AsTask())
    Assert.That(awaitValue (server.ReceiveAsync().AsTask()), Is.True)
    Assert.That(server.Current.Length, Is.EqualTo 1000)
    let e = Assert.ThrowsAsync<FrameTooLargeException>(fun () -> server.ReceiveAsync().AsTask())
    Assert.That(e.Size, Is.EqualTo 2000L)
    Assert.That(e.Limit, Is.EqualTo 1024)
    Assert.That(log.Contains "frame of 2000 bytes exceeds the limit of 1024 bytes", Is.True, sprintf "%A" log.Lines)
    // The server closed the connection: the client sees it lost.
    Assert.ThrowsAsync<TransportClosedException>(fun () -> client.ReceiveAsync().AsTask()) |> ignore
    Assert.Throws<ChannelClosedException>(fun () -> server.SendAsync([| 1uy |]) |> ignore) |> ignore

let ``a malformed prefix closes that connection with a logged reason`` (kind: string) =
    let log = CollectingLog()
    let listener, client, server = connectedPair (addressFor kind)
    use _ = listener
    use _ = client
    let channel = new Channel(server, ChannelOptions(Log = log))
    await (client.SendAsync(ReadOnlyMemory [| 0x80uy; 0x00uy; 0x00uy; 0x05uy; 1uy |], Threading.CancellationToken.None).AsTask())
    Assert.ThrowsAsync<MalformedFrameException>(fun () -> channel.ReceiveAsync().AsTask()) |> ignore
    Assert.That(log.Contains "malformed frame prefix 0x80000005", Is.True)
    // The connection is closed: the raw client reads end of stream.
    let buffer = Array.zeroCreate<byte> 16
    Assert.That(awaitValue (client.ReceiveAsync(Memory buffer, Threading.CancellationToken.None).AsTask()), Is.EqualTo 0)

let ``an outgoing frame over the limit is refused and the channel stays up`` () =
    let listener, client, server = channelPair "uds" (ChannelOptions(MaxFrameSize = 100))
    use _ = listener
    let e = Assert.Throws<FrameTooLargeException>(fun () -> client.SendAsync(Array.zeroCreate<byte> 101) |> ignore)
    Assert.That(e.Message, Does.Contain "101 bytes exceeds the limit of 100")
    // An encoder that writes too much is refused too, and leaves nothing half-queued.
    let big = Action<Buffers.IBufferWriter<byte>, int>(fun w n -> w.Write(ReadOnlySpan(Array.zeroCreate<byte> n)))
    Assert.Throws<FrameTooLargeException>(fun () -> client.SendAsync(500, big) |> ignore) |> ignore
    await (client.SendAsync(100, big).AsTask())
    await (client.SendAsync([| 7uy |]).AsTask())
    await (client.CloseAsync())
    let frames = awaitValue (receiveAll server)
    Assert.That(frames |> Seq.map _.Length |> Seq.toArray, Is.EqualTo<int[]> [| 100; 1 |])

let ``an oversized frame on one connection leaves the listener and other connections serving`` () =
    let log = CollectingLog()
    let options = ChannelOptions(MaxFrameSize = 1024, Log = log)
    use listener = Transport.Listen(freshUds ())
    // A minimal echo server: each accepted connection echoes frames until it ends or fails.
    let serve =
        task {
            let mutable go = true
            while go do
                try
                    let! conn = listener.AcceptAsync(Threading.CancellationToken.None)
                    let ch = new Channel(conn, options)
                    (task {
                        try
                            do! ch.ReceiveLoopAsync(fun frame -> ch.SendAsync frame)
                        with _ -> ()
                        do! ch.DisposeAsync()
                    }) |> ignore
                with :? ObjectDisposedException -> go <- false
        }
    let connect () = new Channel(awaitValue (Transport.ConnectAsync(listener.Address)), ChannelOptions(Log = log))
    let good = connect ()
    let bad = connect ()
    await (good.SendAsync([| 1uy |]).AsTask())
    Assert.That(awaitValue (good.ReceiveAsync().AsTask()), Is.True)
    await (bad.SendAsync(Array.zeroCreate<byte> 5000).AsTask())
    Assert.ThrowsAsync<TransportClosedException>(fun () -> bad.ReceiveAsync().AsTask()) |> ignore
    // The other connection and new ones still work.
    await (good.SendAsync([| 2uy |]).AsTask())
    Assert.That(awaitValue (good.ReceiveAsync().AsTask()), Is.True)
    Assert.That(good.Current.ToArray(), Is.EqualTo<byte[]> [| 2uy |])
    let late = connect ()
    await (late.SendAsync([| 3uy |]).AsTask())
    Assert.That(awaitValue (late.ReceiveAsync().AsTask()), Is.True)
    for c in [ good; bad; late ] do
        await (c.DisposeAsync().AsTask())
    listener.Dispose()
    await serve

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "FrameTests" [
        Register.property 200 [] "a payload length prefix reads back as that length" ``a payload length prefix reads back as that length``
        Register.test "the goodbye marker and top-bit prefixes are told apart from lengths" ``the goodbye marker and top-bit prefixes are told apart from lengths``
        Register.test "a configured limit outside 1 byte to 1 GiB is refused" ``a configured limit outside 1 byte to 1 GiB is refused``
        yield! Register.cases "an incoming frame over the limit closes that connection with a logged reason" [
            "(\"uds\")", (fun () -> ``an incoming frame over the limit closes that connection with a logged reason`` ("uds"))
            "(\"tcp\")", (fun () -> ``an incoming frame over the limit closes that connection with a logged reason`` ("tcp"))
        ]
        yield! Register.cases "a malformed prefix closes that connection with a logged reason" [
            "(\"uds\")", (fun () -> ``a malformed prefix closes that connection with a logged reason`` ("uds"))
            "(\"tcp\")", (fun () -> ``a malformed prefix closes that connection with a logged reason`` ("tcp"))
        ]
        Register.test "an outgoing frame over the limit is refused and the channel stays up" ``an outgoing frame over the limit is refused and the channel stays up``
        Register.test "an oversized frame on one connection leaves the listener and other connections serving" ``an oversized frame on one connection leaves the listener and other connections serving``
    ]
