/// Throws thousands of random and mutated frames at a live authenticated server: it survives,
/// keeps serving a well-behaved client throughout, and leaks neither sockets nor memory.
module TractorNet.Tests.ListenerFuzzTests

open System
open System.IO
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Ipc
open TractorNet.Tests.IpcSupport

/// Counts log lines by level (keeping a few), so thousands of refusals cost no memory.
type private CountingLog() =
    let counts = Array.zeroCreate<int> (Enum.GetValues<LogLevel>().Length)
    let samples = Collections.Concurrent.ConcurrentQueue<string>()
    member _.Count(level: LogLevel) = Volatile.Read &counts[int level]
    member _.Samples = samples |> Seq.toList

    interface ILog with
        member _.Log(level, message) =
            Interlocked.Increment &counts[int level] |> ignore
            if samples.Count < 20 || level = LogLevel.Error then samples.Enqueue $"{level}: {message}"

/// Open socket descriptors of this process.
let private openSockets () =
    Directory.GetFiles "/proc/self/fd"
    |> Array.filter (fun fd ->
        try
            match FileInfo(fd).LinkTarget with
            | null -> false
            | target -> target.StartsWith "socket:"
        with _ ->
            false)
    |> Array.length

let private secret = Handshake.NewSecret()
let private limit = 64 * 1024

/// Reads until the server ends the connection (it must, within the hang guard).
let private untilClosed (conn: IConnection) =
    task {
        let buffer = Array.zeroCreate<byte> 4096
        let mutable go = true
        while go do
            try
                let! n = conn.ReceiveAsync(Memory buffer, CancellationToken.None).AsTask().WaitAsync hangGuard
                if n = 0 then go <- false
            with
            | :? TimeoutException -> raise (AssertionException "the server kept a bad connection open")
            | _ -> go <- false
    }

let private framed (payload: byte[]) =
    let f = Array.zeroCreate<byte> (4 + payload.Length)
    Frame.writeHeader (Span f) payload.Length
    payload.CopyTo(f, 4)
    f

/// One hostile connection, chosen by `rng`.
let private attack (address: IpcAddress) (rng: Random) =
    let bytes n = (let b = Array.zeroCreate<byte> n in rng.NextBytes b; b)
    let case = rng.Next 10
    let seed = rng.Next()
    task {
        let rng = Random seed
        let send (conn: IConnection) (data: byte[]) =
            task {
                try
                    do! conn.SendAsync(ReadOnlyMemory data, CancellationToken.None)
                with _ -> () // the server may hang up first
            }
        if case = 9 then
            // Authenticated, then garbage frames on the live channel.
            let! ch = IpcClient.ConnectAsync(address, HandshakeOptions(IpcIdentity.ForThisProcess "fuzz", secret, Log = Log.none), ChannelOptions(Log = Log.none), CancellationToken.None)
            let garbage =
                match rng.Next 3 with
                | 0 -> Array.append [| 0x00uy; 0x10uy; 0x00uy; 0x01uy |] (bytes 10) // over the limit
                | 1 -> Array.append [| 0x80uy + byte (rng.Next 0x7F); 0uy; 0uy; 0uy |] (bytes 3) // malformed
                | _ -> Array.append (framed (bytes (rng.Next 100))) [| 0uy; 0uy |] // then a truncated prefix
            do! send ch.Connection garbage
            ch.Abort null
        else
            let! conn = Transport.ConnectAsync address
            use conn = conn
            match case with
            | 0 -> do! send conn (bytes (1 + rng.Next 3000)) // random bytes
            | 1 -> do! send conn (bytes (1 + rng.Next 3)) // truncated prefix
            | 2 ->
                // Absurd lengths: over the limit, or with the top bit set.
                let prefix = Array.zeroCreate<byte> 4
                let value = if rng.Next 2 = 0 then uint32 (limit + 1 + rng.Next(Int32.MaxValue - limit - 1)) else 0x80000000u ||| uint32 (rng.Next())
                Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(Span prefix, value)
                do! send conn (Array.append prefix (bytes (rng.Next 64)))
            | 3 -> do! send conn (framed (bytes (rng.Next 200))) // valid prefix + garbage
            | 4 -> do! untilClosed conn // half-open: silent until the server gives up
            | 5 ->
                // A frame promised but never finished.
                do! send conn (Array.append [| 0uy; 0uy; 0uy; 100uy |] (bytes 10))
                do! untilClosed conn
            | 6 ->
                // A valid hello with a few bytes flipped.
                let hello = Handshake.EncodeHello(Handshake.ProtocolVersion, HandshakeRole.Connector, IpcIdentity.ForThisProcess "mutant", bytes 32)
                for _ in 0 .. rng.Next 3 do
                    hello[rng.Next hello.Length] <- byte (rng.Next 256)
                do! send conn (framed hello)
                do! untilClosed conn
            | 7 -> conn.ShutdownSend() // end of stream at once
            | _ ->
                // Many small frames during the handshake.
                do! send conn (Array.concat [ for _ in 1..10 -> framed (bytes (rng.Next 50)) ])
    }

/// A well-behaved client doing echo round trips until told to stop; returns how many it did.
let private wellBehaved (ch: Channel) (stop: CancellationToken) =
    Task.Run<int>(fun () ->
        task {
            let rng = Random 7
            let mutable n = 0
            while not stop.IsCancellationRequested do
                let payload = Array.zeroCreate<byte> (1 + rng.Next 500)
                rng.NextBytes payload
                do! ch.SendAsync payload
                let! more = ch.ReceiveAsync()
                if not more || not (ch.Current.Span.SequenceEqual(ReadOnlySpan payload)) then
                    failwith "the well-behaved client got a wrong echo"
                n <- n + 1
            return n
        })

let private fuzz (kind: string) (connections: int) =
    // Replay a failure with TRACTOR_FUZZ_SEED=<seed>.
    let seed =
        match Environment.GetEnvironmentVariable "TRACTOR_FUZZ_SEED" with
        | null | "" -> Random.Shared.Next()
        | s -> int s
    System.Console.Out.WriteLine $"fuzz seed {seed} ({kind}); replay with TRACTOR_FUZZ_SEED={seed}"
    let log = CountingLog()
    let handshake = HandshakeOptions(IpcIdentity.ForThisProcess "server", secret, Log = log, Timeout = TimeSpan.FromMilliseconds 250.0)
    let server =
        IpcServer.Start(addressFor kind, handshake, ChannelOptions(MaxFrameSize = limit, Log = log), fun ch ->
            ch.ReceiveLoopAsync(fun frame -> ch.SendAsync frame))
    try
        let good =
            awaitValue (IpcClient.ConnectAsync(server.Address, HandshakeOptions(IpcIdentity.ForThisProcess "good", secret, Log = log)))
        use stop = new CancellationTokenSource()
        let rounds = wellBehaved good stop.Token
        let rng = Random seed
        let run count =
            let gate = new SemaphoreSlim(32)
            let all =
                [| for _ in 1..count ->
                       let r = Random(rng.Next())
                       task {
                           do! gate.WaitAsync()
                           try
                               do! attack server.Address r
                           finally
                               gate.Release() |> ignore
                       } :> Task |]
            await (Task.WhenAll all)
        let settled () = server.ConnectionCount = 1
        // Warm up (thread pool, pools, lazy statics), then take the baseline.
        run 100
        Assert.That(eventually settled, Is.True, "fuzz connections should all be closed")
        GC.Collect()
        GC.WaitForPendingFinalizers()
        let socketsBefore = openSockets ()
        let memoryBefore = GC.GetTotalMemory true
        run connections
        Assert.That(rounds.IsCompleted, Is.False, "the well-behaved client stopped during the fuzz")
        Assert.That(eventually settled, Is.True, $"server still holds {server.ConnectionCount} connections")
        Assert.That(eventually (fun () -> openSockets () <= socketsBefore), Is.True, $"sockets: {socketsBefore} before, {openSockets ()} after")
        GC.Collect()
        GC.WaitForPendingFinalizers()
        let grown = GC.GetTotalMemory true - memoryBefore
        Assert.That(grown, Is.LessThan(16L <<< 20), $"managed memory grew by {grown} bytes")
        stop.Cancel()
        let n = awaitValue rounds
        Assert.That(n, Is.GreaterThan 0)
        System.Console.Out.WriteLine $"well-behaved round trips during the fuzz: {n}; refusals logged: {log.Count LogLevel.Warning}"
        Assert.That(log.Count LogLevel.Warning, Is.GreaterThan(connections / 2), "the fuzz should have been refused and logged")
        Assert.That(log.Count LogLevel.Error, Is.EqualTo 0, sprintf "%A" log.Samples)
        await (good.DisposeAsync().AsTask())
    finally
        await (server.DisposeAsync().AsTask())

let ``a Unix socket server survives thousands of hostile connections`` () = fuzz "uds" 2000

let ``a TCP server survives thousands of hostile connections`` () = fuzz "tcp" 1500

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ListenerFuzzTests" [
        Register.test "a Unix socket server survives thousands of hostile connections" ``a Unix socket server survives thousands of hostile connections``
        Register.test "a TCP server survives thousands of hostile connections" ``a TCP server survives thousands of hostile connections``
    ]
