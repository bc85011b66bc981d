/// Channel benchmarks between two processes: the bench re-executes itself with a hidden
/// `--ipc-peer` argument to act as the peer, and always reaps it. Each figure has a raw-socket
/// baseline measured in the same run.
module TractorNet.Bench.ChannelBench

open System
open System.Buffers.Binary
open System.Diagnostics
open System.IO
open System.Net.Sockets
open System.Reflection
open System.Threading
open System.Threading.Tasks
open TractorNet.Ipc
open TractorNet.Bench.Report

/// The hidden first argument that makes this executable a benchmark peer.
[<Literal>]
let PeerFlag = "--ipc-peer"

/// Size of the one-way messages (payload bytes).
let private onewaySize = 32

// ---------------------------------------------------------------- raw socket helpers

/// Both transports hand out socket connections; the raw baselines use the socket directly.
let private socketOf (c: IConnection) = (c :?> SocketConnection).Socket

/// Reads exactly `buffer.Length` bytes; false at end of stream.
let private readExactly (s: Socket) (buffer: Memory<byte>) =
    task {
        let mutable got = 0
        let mutable eof = false
        while got < buffer.Length && not eof do
            let! n = s.ReceiveAsync(buffer.Slice got, SocketFlags.None)
            if n = 0 then eof <- true else got <- got + n
        return not eof
    }

// ---------------------------------------------------------------- the peer process

/// Echoes 8-byte messages on a raw socket until end of stream.
let private rawEcho (s: Socket) =
    task {
        let buffer = Array.zeroCreate<byte> 8
        let mutable go = true
        while go do
            let! ok = readExactly s (Memory buffer)
            if ok then
                let! _ = s.SendAsync(ReadOnlyMemory buffer, SocketFlags.None)
                ()
            else
                go <- false
    }

/// Parses length-prefixed messages from big reads; after `count` of them sends one ack byte.
let private rawSink (s: Socket) (count: int64) =
    task {
        let buffer = Array.zeroCreate<byte> (256 * 1024)
        let mutable have = 0
        let mutable seen = 0L
        let mutable go = true
        while go do
            let! n = s.ReceiveAsync(Memory(buffer, have, buffer.Length - have), SocketFlags.None)
            if n = 0 then
                go <- false
            else
                have <- have + n
                let mutable pos = 0
                let mutable more = true
                while more do
                    if have - pos >= 4 then
                        let len = BinaryPrimitives.ReadInt32BigEndian(ReadOnlySpan(buffer, pos, 4))
                        if have - pos >= 4 + len then
                            pos <- pos + 4 + len
                            seen <- seen + 1L
                        else
                            more <- false
                    else
                        more <- false
                Buffer.BlockCopy(buffer, pos, buffer, 0, have - pos)
                have <- have - pos
                if seen = count then
                    let! _ = s.SendAsync(ReadOnlyMemory [| 1uy |], SocketFlags.None)
                    seen <- 0L
    }

let private channelEcho (ch: Channel) =
    task {
        try
            do! ch.ReceiveLoopAsync(fun frame -> ch.SendAsync frame)
        with :? IpcException ->
            ()
        do! ch.DisposeAsync()
    }

let private channelSink (ch: Channel) (count: int64) =
    task {
        let ack = [| 1uy |]
        let mutable seen = 0L
        try
            do!
                ch.ReceiveLoopAsync(fun _ ->
                    seen <- seen + 1L
                    if seen = count then
                        seen <- 0L
                        ch.SendAsync ack
                    else
                        ValueTask.CompletedTask)
        with :? IpcException ->
            ()
        do! ch.DisposeAsync()
    }

/// Runs the peer side: `--ipc-peer <mode> <address> [count]`. Exits when the parent closes the
/// connection (or dies: the kernel closes its socket).
let runPeer (argv: string[]) =
    let mode = argv[1]
    let address = IpcAddress.Parse argv[2]
    let count = if argv.Length > 3 then Int64.Parse argv[3] else 0L
    (task {
        let! conn = Transport.ConnectAsync(address, TimeSpan.FromSeconds 10.0)
        let options = ChannelOptions(Log = IpcLog.None)
        match mode with
        | "raw-echo" -> do! rawEcho (socketOf conn)
        | "raw-sink" -> do! rawSink (socketOf conn) count
        | "channel-echo" -> do! channelEcho (new Channel(conn, options))
        | "channel-sink" -> do! channelSink (new Channel(conn, options)) count
        | other -> failwith $"unknown peer mode {other}"
        conn.Dispose()
    })
        .GetAwaiter()
        .GetResult()
    0

// ---------------------------------------------------------------- the parent side

/// Starts this executable as a peer, connected back to a fresh listener; runs `body` on the
/// accepted connection, then closes it and reaps the peer (killing it if it lingers).
let private withPeer (kind: string) (mode: string) (count: int64) (body: IConnection -> Task<'T>) : Task<'T> =
    task {
        let address =
            if kind = "uds" then UnixSocketDirectory.newAddress "bench" else IpcAddress.Tcp("127.0.0.1", 0)
        use listener = Transport.Listen address
        let psi = ProcessStartInfo(Environment.ProcessPath, UseShellExecute = false)
        if Path.GetFileNameWithoutExtension(Environment.ProcessPath) = "dotnet" then
            psi.ArgumentList.Add(Assembly.GetEntryAssembly().Location)
        for a in [ PeerFlag; mode; string listener.Address; string count ] do
            psi.ArgumentList.Add a
        use peer = Process.Start psi
        try
            let! conn = listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds 30.0)
            try
                return! body conn
            finally
                conn.Dispose()
        finally
            if not (peer.WaitForExit 10000) then
                peer.Kill true
                peer.WaitForExit()
    }

let private duration quick = if quick then TimeSpan.FromSeconds 0.7 else TimeSpan.FromSeconds 3.0
let private warmup quick = if quick then TimeSpan.FromSeconds 0.2 else TimeSpan.FromSeconds 1.0

/// Round trips per second of `roundTrip` over `d`, after a warm-up.
let private measureRoundTrips quick (roundTrip: unit -> Task<unit>) =
    task {
        let run (d: TimeSpan) =
            task {
                let sw = Stopwatch.StartNew()
                let mutable n = 0
                while sw.Elapsed < d do
                    for _ in 1..100 do
                        do! roundTrip ()
                    n <- n + 100
                return float n / sw.Elapsed.TotalSeconds
            }
        let! _ = run (warmup quick)
        return! run (duration quick)
    }

let private rawPingPong quick kind =
    withPeer kind "raw-echo" 0L (fun conn ->
        let s = socketOf conn
        let buffer = Array.zeroCreate<byte> 8
        measureRoundTrips quick (fun () ->
            task {
                let! _ = s.SendAsync(ReadOnlyMemory buffer, SocketFlags.None)
                let! ok = readExactly s (Memory buffer)
                if not ok then failwith "peer closed"
            }))

let private channelPingPong quick kind =
    withPeer kind "channel-echo" 0L (fun conn ->
        task {
            let ch = new Channel(conn, ChannelOptions(Log = IpcLog.None))
            let payload = Array.zeroCreate<byte> 8
            let! rate =
                measureRoundTrips quick (fun () ->
                    task {
                        do! ch.SendAsync payload
                        let! ok = ch.ReceiveAsync()
                        if not ok then failwith "peer closed"
                    })
            do! ch.DisposeAsync()
            return rate
        })

/// How many one-way messages a run sends (then waits for the ack of the last).
let private onewayCount quick = if quick then 2_000_000L else 10_000_000L

let private rawOneway quick kind =
    let count = onewayCount quick
    withPeer kind "raw-sink" count (fun conn ->
        let s = socketOf conn
        let chunk = Array.zeroCreate<byte> (256 * 1024)
        let message = Array.init onewaySize byte
        let ack = Array.zeroCreate<byte> 1
        let once (n: int64) =
            task {
                let sw = Stopwatch.StartNew()
                let mutable used = 0
                for _ in 1L .. n do
                    if chunk.Length - used < 4 + onewaySize then
                        let! _ = s.SendAsync(ReadOnlyMemory(chunk, 0, used), SocketFlags.None)
                        used <- 0
                    BinaryPrimitives.WriteInt32BigEndian(Span(chunk, used, 4), onewaySize)
                    Buffer.BlockCopy(message, 0, chunk, used + 4, onewaySize)
                    used <- used + 4 + onewaySize
                if used > 0 then
                    let! _ = s.SendAsync(ReadOnlyMemory(chunk, 0, used), SocketFlags.None)
                    ()
                let! ok = readExactly s (Memory ack)
                if not ok then failwith "peer closed"
                return float n / sw.Elapsed.TotalSeconds
            }
        task {
            let! _ = once count // warm-up (the peer acks every `count`)
            return! once count
        })

let private channelOneway quick kind =
    let count = onewayCount quick
    withPeer kind "channel-sink" count (fun conn ->
        task {
            let ch = new Channel(conn, ChannelOptions(Log = IpcLog.None))
            let message = Array.init onewaySize byte
            let once (n: int64) =
                task {
                    let sw = Stopwatch.StartNew()
                    for _ in 1L .. n do
                        let vt = ch.SendAsync message
                        if not vt.IsCompletedSuccessfully then
                            do! vt
                    let! ok = ch.ReceiveAsync()
                    if not ok then failwith "peer closed"
                    return float n / sw.Elapsed.TotalSeconds
                }
            let! _ = once count
            let! rate = once count
            do! ch.DisposeAsync()
            return rate
        })

let private scenario name (run: bool -> Task<float * float>) unit =
    name,
    fun quick ->
        task {
            let! value, baseline = run quick
            emit { Bench = name; Value = value; Unit = unit; Baseline = Some baseline }
        }

let private pair (channel: bool -> string -> Task<float>) (raw: bool -> string -> Task<float>) kind quick =
    task {
        let! b = raw quick kind
        let! v = channel quick kind
        return v, b
    }

/// The channel scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list =
    [ scenario "channel.pingpong.uds" (pair channelPingPong rawPingPong "uds") "round trips/s"
      scenario "channel.pingpong.tcp" (pair channelPingPong rawPingPong "tcp") "round trips/s"
      scenario "channel.oneway.uds" (pair channelOneway rawOneway "uds") "msgs/s"
      scenario "channel.oneway.tcp" (pair channelOneway rawOneway "tcp") "msgs/s" ]
