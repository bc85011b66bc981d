/// The authenticated handshake over real sockets: identities exchanged, wrong secrets refused
/// in both directions, version mismatches named, silent peers timed out, reflections refused.
module TractorNet.Tests.HandshakeTests

open System
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Ipc
open TractorNet.Tests.IpcSupport

let private secret = Handshake.NewSecret()

let private options (name: string) (secret: byte[]) (log: ILog) =
    HandshakeOptions(IpcIdentity.ForThisProcess name, secret, Log = log, Timeout = TimeSpan.FromSeconds 5.0)

/// A server that answers each frame with its peer's name, then the frame.
let private echoServer (kind: string) (handshake: HandshakeOptions) (log: ILog) =
    IpcServer.Start(
        addressFor kind,
        handshake,
        ChannelOptions(Log = log),
        fun ch -> ch.ReceiveLoopAsync(fun frame -> ch.SendAsync frame)
    )

let private roundTrip (ch: Channel) (text: string) =
    task {
        do! ch.SendAsync(Text.Encoding.UTF8.GetBytes text)
        let! more = ch.ReceiveAsync()
        return if more then Text.Encoding.UTF8.GetString ch.Current.Span else "<end>"
    }

let ``peers that share the secret learn each other's identity`` (kind: string) =
    let log = CollectingLog()
    let serverSide = options "server" secret log
    let mutable seenByServer = Unchecked.defaultof<IpcIdentity>
    let server =
        IpcServer.Start(addressFor kind, serverSide, ChannelOptions(Log = log), fun ch ->
            seenByServer <- ch.Peer
            ch.ReceiveLoopAsync(fun frame -> ch.SendAsync frame))
    try
        let clientSide = options "client" secret log
        let ch = awaitValue (IpcClient.ConnectAsync(server.Address, clientSide))
        Assert.That(ch.Peer, Is.EqualTo serverSide.Identity)
        Assert.That(awaitValue (roundTrip ch "hello"), Is.EqualTo "hello")
        Assert.That(seenByServer, Is.EqualTo clientSide.Identity)
        Assert.That(seenByServer.Pid, Is.EqualTo Environment.ProcessId)
        await (ch.DisposeAsync().AsTask())
    finally
        await (server.DisposeAsync().AsTask())
    Assert.That(log.Lines |> List.filter (fun (l, _) -> l >= LogLevel.Warning), Is.Empty)

let ``a peer with the wrong secret is refused, logged, and the server keeps serving`` (wrongSide: string) =
    let log = CollectingLog()
    let other = Handshake.NewSecret()
    let serverSecret, clientSecret = if wrongSide = "server" then other, secret else secret, other
    let server = echoServer "uds" (options "server" serverSecret log) log
    try
        let e = Assert.ThrowsAsync<HandshakeException>(fun () -> IpcClient.ConnectAsync(server.Address, options "intruder" clientSecret log) :> Task)
        Assert.That(e.Message, Does.Contain "failed authentication")
        // Both sides judged the other's proof wrong; the server logged its refusal.
        let serverLine () = log.Lines |> List.exists (fun (l, m) -> l = LogLevel.Warning && m.Contains "acceptor" && m.Contains "failed authentication")
        Assert.That(eventually serverLine, Is.True, sprintf "%A" log.Lines)
        // A peer with the right key still gets in.
        if wrongSide = "client" then
            let ch = awaitValue (IpcClient.ConnectAsync(server.Address, options "friend" secret log))
            Assert.That(awaitValue (roundTrip ch "still up"), Is.EqualTo "still up")
            await (ch.DisposeAsync().AsTask())
    finally
        await (server.DisposeAsync().AsTask())

let ``a protocol version mismatch names both versions on both sides`` () =
    let log = CollectingLog()
    let server = echoServer "uds" (options "server" secret log) log
    try
        let client = options "future" secret log
        client.ProtocolVersion <- Handshake.ProtocolVersion + 1
        let e = Assert.ThrowsAsync<ProtocolVersionMismatchException>(fun () -> IpcClient.ConnectAsync(server.Address, client) :> Task)
        Assert.That(e.Ours, Is.EqualTo(Handshake.ProtocolVersion + 1))
        Assert.That(e.Theirs, Is.EqualTo Handshake.ProtocolVersion)
        Assert.That(e.Message, Does.Contain $"this side speaks version {Handshake.ProtocolVersion + 1}")
        Assert.That(e.Message, Does.Contain $"speaks version {Handshake.ProtocolVersion}")
        Assert.That(eventually (fun () -> log.Contains $"this side speaks version {Handshake.ProtocolVersion}, peer"), Is.True, sprintf "%A" log.Lines)
    finally
        await (server.DisposeAsync().AsTask())

let ``a silent peer is timed out: the server drops it, a client gives up`` () =
    let log = CollectingLog()
    let serverSide = options "server" secret log
    serverSide.Timeout <- TimeSpan.FromMilliseconds 300.0
    let server = echoServer "uds" serverSide log
    try
        // A connection that never says anything: the server must close it.
        use silent = awaitValue (Transport.ConnectAsync server.Address)
        let buffer = Array.zeroCreate<byte> 256
        // It reads the server's hello, then end of stream once the server gives up.
        let mutable total = 0
        let mutable n = -1
        while n <> 0 do
            n <- awaitValue (silent.ReceiveAsync(Memory buffer, CancellationToken.None).AsTask())
            total <- total + n
        Assert.That(total, Is.GreaterThan 0)
        Assert.That(eventually (fun () -> log.Contains "timed out after 0.3 s"), Is.True, sprintf "%A" log.Lines)
    finally
        await (server.DisposeAsync().AsTask())
    // A server that accepts and never answers: the client's handshake times out.
    use mute = Transport.Listen(freshUds ())
    let accepted = mute.AcceptAsync(CancellationToken.None).AsTask()
    let client = options "client" secret log
    client.Timeout <- TimeSpan.FromMilliseconds 300.0
    let e = Assert.ThrowsAsync<HandshakeTimeoutException>(fun () -> IpcClient.ConnectAsync(mute.Address, client) :> Task)
    Assert.That(e.Message, Does.Contain "timed out after 0.3 s")
    (awaitValue accepted).Dispose()

/// True once the connection ends (cleanly or not) without another frame.
let private ends (ch: Channel) =
    task {
        try
            let! more = ch.ReceiveAsync()
            return not more
        with :? IpcException ->
            return true
    }

/// Connects raw, reads the server's hello frame.
let private rawPeer (server: IpcServer) =
    task {
        let! conn = Transport.ConnectAsync server.Address
        let ch = new Channel(conn, ChannelOptions(Log = Log.none))
        let! _ = ch.ReceiveAsync()
        return ch, ch.Current.ToArray()
    }

let ``a hello reflected back to its sender is refused`` () =
    let log = CollectingLog()
    let server = echoServer "uds" (options "server" secret log) log
    try
        let ch, hello = awaitValue (rawPeer server)
        await (ch.SendAsync(hello).AsTask())
        Assert.That(awaitValue (ends ch), Is.True, "the server should end the connection")
        Assert.That(eventually (fun () -> log.Contains "claims our own role"), Is.True, sprintf "%A" log.Lines)
    finally
        await (server.DisposeAsync().AsTask())

let ``a proof reflected back to the acceptor is refused`` () =
    let log = CollectingLog()
    let server = echoServer "uds" (options "server" secret log) log
    try
        let ch, serverHello = awaitValue (rawPeer server)
        // A well-formed connector hello from someone who does not know the secret...
        let hello = Handshake.EncodeHello(Handshake.ProtocolVersion, HandshakeRole.Connector, IpcIdentity.ForThisProcess "mallory", Security.Cryptography.RandomNumberGenerator.GetBytes 32)
        await (ch.SendAsync(hello).AsTask())
        // ...gets the server's proof for this very transcript, and sends it back as its own.
        Assert.That(awaitValue (ch.ReceiveAsync().AsTask()), Is.True)
        let serverProof = ch.Current.ToArray()
        await (ch.SendAsync(serverProof).AsTask())
        Assert.That(awaitValue (ends ch), Is.True, "the server should end the connection")
        Assert.That(eventually (fun () -> log.Contains "failed authentication"), Is.True, sprintf "%A" log.Lines)
        Assert.That(serverHello.Length, Is.GreaterThan 0)
    finally
        await (server.DisposeAsync().AsTask())

let ``the proof binds the prover's role and both hellos`` () =
    let a = Array.init 40 byte
    let b = Array.init 40 (fun i -> byte (i + 1))
    let p = Handshake.Proof(secret, HandshakeRole.Connector, a, b)
    Assert.That(p.Length, Is.EqualTo 32)
    Assert.That(Handshake.Proof(secret, HandshakeRole.Acceptor, a, b), Is.Not.EqualTo<byte[]> p)
    Assert.That(Handshake.Proof(secret, HandshakeRole.Connector, b, a), Is.Not.EqualTo<byte[]> p)
    Assert.That(Handshake.Proof(Handshake.NewSecret(), HandshakeRole.Connector, a, b), Is.Not.EqualTo<byte[]> p)
    Assert.That(Handshake.Proof(secret, HandshakeRole.Connector, a, b), Is.EqualTo<byte[]> p)

let ``a malformed hello is refused with a clear reason`` (variant: string) =
    let log = CollectingLog()
    let server = echoServer "uds" (options "server" secret log) log
    try
        let ch, _ = awaitValue (rawPeer server)
        let payload =
            match variant with
            | "garbage" -> [| 0xC1uy; 1uy; 2uy |]
            | "not-tractor" -> Handshake.EncodeHello(1, HandshakeRole.Connector, IpcIdentity.ForThisProcess "x", Array.zeroCreate 32) |> fun h -> (h[2] <- byte 'T'; h)
            | _ -> Handshake.EncodeHello(Handshake.ProtocolVersion, HandshakeRole.Connector, IpcIdentity.ForThisProcess "x", Array.zeroCreate 8)
        await (ch.SendAsync(payload).AsTask())
        Assert.That(awaitValue (ends ch), Is.True, "the server should end the connection")
        let expected =
            match variant with
            | "garbage" -> "malformed handshake message"
            | "not-tractor" -> "not a tractor peer"
            | _ -> "nonce of 8 bytes"
        Assert.That(eventually (fun () -> log.Contains expected), Is.True, sprintf "%A" log.Lines)
    finally
        await (server.DisposeAsync().AsTask())

let ``a short secret is refused up front`` () =
    let e = Assert.Throws<ArgumentException>(fun () -> HandshakeOptions(IpcIdentity.ForThisProcess "x", Array.zeroCreate 8) |> ignore)
    Assert.That(e.Message, Does.Contain "at least 16 bytes")

let ``a hello's bytes are as docs/protocol.md shows`` () =
    let identity = { Name = "parent"; Uid = String('0', 32); Pid = 12345 }
    let hello = Handshake.EncodeHello(1, HandshakeRole.Connector, identity, Array.create 32 0xABuy)
    let expected =
        Array.concat
            [ [| 0x97uy |]
              [| 0xA7uy |]; "tractor"B
              [| 0x01uy |]
              [| 0xA9uy |]; "connector"B
              [| 0xA6uy |]; "parent"B
              [| 0xD9uy; 0x20uy |]; Array.create 32 (byte '0')
              [| 0xCDuy; 0x30uy; 0x39uy |]
              [| 0xC4uy; 0x20uy |]; Array.create 32 0xABuy ]
    Assert.That(hello, Is.EqualTo<byte[]> expected)
    Assert.That(hello.Length, Is.EqualTo 98)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "HandshakeTests" [
        yield! Register.cases "peers that share the secret learn each other's identity" [
            "(\"uds\")", (fun () -> ``peers that share the secret learn each other's identity`` ("uds"))
            "(\"tcp\")", (fun () -> ``peers that share the secret learn each other's identity`` ("tcp"))
        ]
        yield! Register.cases "a peer with the wrong secret is refused, logged, and the server keeps serving" [
            "(\"client\")", (fun () -> ``a peer with the wrong secret is refused, logged, and the server keeps serving`` ("client"))
            "(\"server\")", (fun () -> ``a peer with the wrong secret is refused, logged, and the server keeps serving`` ("server"))
        ]
        Register.test "a protocol version mismatch names both versions on both sides" ``a protocol version mismatch names both versions on both sides``
        Register.test "a silent peer is timed out: the server drops it, a client gives up" ``a silent peer is timed out: the server drops it, a client gives up``
        Register.test "a hello reflected back to its sender is refused" ``a hello reflected back to its sender is refused``
        Register.test "a proof reflected back to the acceptor is refused" ``a proof reflected back to the acceptor is refused``
        Register.test "the proof binds the prover's role and both hellos" ``the proof binds the prover's role and both hellos``
        yield! Register.cases "a malformed hello is refused with a clear reason" [
            "(\"garbage\")", (fun () -> ``a malformed hello is refused with a clear reason`` ("garbage"))
            "(\"not-tractor\")", (fun () -> ``a malformed hello is refused with a clear reason`` ("not-tractor"))
            "(\"short-nonce\")", (fun () -> ``a malformed hello is refused with a clear reason`` ("short-nonce"))
        ]
        Register.test "a short secret is refused up front" ``a short secret is refused up front``
        Register.test "a hello's bytes are as docs/protocol.md shows" ``a hello's bytes are as docs/protocol.md shows``
    ]
