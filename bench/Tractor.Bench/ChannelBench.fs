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
open TractorNet
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
        let options = ChannelOptions(Log = Log.none)
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
let private withPeerProcess (kind: string) (mode: string) (count: int64) (body: Process -> IConnection -> Task<'T>) : Task<'T> =
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
                return! body peer conn
            finally
                conn.Dispose()
        finally
            if not (peer.WaitForExit 10000) then
                peer.Kill true
                peer.WaitForExit()
    }

let private withPeer kind mode count (body: IConnection -> Task<'T>) = withPeerProcess kind mode count (fun _ c -> body c)

/// One batch of work on a connection; returns how many operations it did.
type Batch = unit -> Task<int64>

/// Measures two batch runners in alternating short segments (so machine noise hits both
/// alike), after a warm-up of each; returns (ops/s of `a`, ops/s of `b`).
let interleave quick (a: Batch) (b: Batch) =
    task {
        let total = if quick then 0.7 else 3.0
        let segment = if quick then 0.1 else 0.25
        let runFor (seconds: float) (batch: Batch) =
            task {
                let sw = Stopwatch.StartNew()
                let mutable ops = 0L
                while sw.Elapsed.TotalSeconds < seconds do
                    let! n = batch ()
                    ops <- ops + n
                return ops, sw.Elapsed.TotalSeconds
            }
        let! _ = runFor (if quick then 0.2 else 1.0) a
        let! _ = runFor (if quick then 0.2 else 1.0) b
        let mutable opsA, timeA, opsB, timeB = 0L, 0.0, 0L, 0.0
        while timeA < total || timeB < total do
            let! n, t = runFor segment a
            opsA <- opsA + n
            timeA <- timeA + t
            let! n, t = runFor segment b
            opsB <- opsB + n
            timeB <- timeB + t
        return float opsA / timeA, float opsB / timeB
    }

let private rawPingPong (conn: IConnection) : Batch =
    let s = socketOf conn
    let buffer = Array.zeroCreate<byte> 8
    fun () ->
        task {
            for _ in 1..100 do
                let! _ = s.SendAsync(ReadOnlyMemory buffer, SocketFlags.None)
                let! ok = readExactly s (Memory buffer)
                if not ok then failwith "peer closed"
            return 100L
        }

/// Runs `body` with a batch of 100 raw-socket round trips (8 bytes each way) against a fresh
/// echo peer over `kind` ("uds" or "tcp"): the baseline of every round-trip figure.
let withRawPingPong (kind: string) (body: Batch -> Task<'T>) : Task<'T> =
    withPeer kind "raw-echo" 0L (fun conn -> body (rawPingPong conn))

/// `withRawPingPong` that also hands `body` the echo peer's process (to read its CPU time).
let withRawPingPongPeer (kind: string) (body: Process -> Batch -> Task<'T>) : Task<'T> =
    withPeerProcess kind "raw-echo" 0L (fun peer conn -> body peer (rawPingPong conn))

let private channelPingPong (ch: Channel) : Batch =
    let payload = Array.zeroCreate<byte> 8
    fun () ->
        task {
            for _ in 1..100 do
                do! ch.SendAsync payload
                let! ok = ch.ReceiveAsync()
                if not ok then failwith "peer closed"
            return 100L
        }

/// One-way messages per batch; the peer acknowledges every batch's last message.
let private onewayBatch = 100_000L

/// Batches of `count` length-prefixed `size`-byte messages, written in 256 KB chunks (a
/// message larger than a chunk in one write of its own).
let private rawOnewayCount (size: int) (count: int64) (conn: IConnection) : Batch =
    let s = socketOf conn
    let chunk = Array.zeroCreate<byte> (max (256 * 1024) (4 + size))
    let message = Array.init size byte
    let ack = Array.zeroCreate<byte> 1
    fun () ->
        task {
            let mutable used = 0
            for _ in 1L .. count do
                if chunk.Length - used < 4 + size then
                    let! _ = s.SendAsync(ReadOnlyMemory(chunk, 0, used), SocketFlags.None)
                    used <- 0
                BinaryPrimitives.WriteInt32BigEndian(Span(chunk, used, 4), size)
                Buffer.BlockCopy(message, 0, chunk, used + 4, size)
                used <- used + 4 + size
            if used > 0 then
                let! _ = s.SendAsync(ReadOnlyMemory(chunk, 0, used), SocketFlags.None)
                ()
            let! ok = readExactly s (Memory ack)
            if not ok then failwith "peer closed"
            return count
        }

let private rawOnewayOf (size: int) = rawOnewayCount size onewayBatch

let private rawOneway = rawOnewayOf onewaySize

/// Runs `body` with a batch of raw batched one-way messages of `size` payload bytes (each
/// batch ends with the peer's acknowledgement of its last message) over `kind`: the baseline
/// of the stream throughput figures.
let withRawStream (kind: string) (size: int) (body: Batch -> Task<'T>) : Task<'T> =
    withPeer kind "raw-sink" onewayBatch (fun conn -> body (rawOnewayOf size conn))

/// `withRawStream` with batches of `count` messages (large messages: shorter batches).
let withRawStreamOf (kind: string) (size: int) (count: int64) (body: Batch -> Task<'T>) : Task<'T> =
    withPeer kind "raw-sink" count (fun conn -> body (rawOnewayCount size count conn))

let private channelOneway (ch: Channel) : Batch =
    let message = Array.init onewaySize byte
    fun () ->
        task {
            for _ in 1L .. onewayBatch do
                let vt = ch.SendAsync message
                if not vt.IsCompletedSuccessfully then
                    do! vt
            let! ok = ch.ReceiveAsync()
            if not ok then failwith "peer closed"
            return onewayBatch
        }

/// Runs the channel variant and its raw baseline against two live peers at once.
let private compare quick kind (rawMode: string) (channelMode: string) (raw: IConnection -> Batch) (channel: Channel -> Batch) =
    withPeer kind rawMode onewayBatch (fun rawConn ->
        withPeer kind channelMode onewayBatch (fun chConn ->
            task {
                let ch = new Channel(chConn, ChannelOptions(Log = Log.none))
                let! value, baseline = interleave quick (channel ch) (raw rawConn)
                do! ch.DisposeAsync()
                return value, baseline
            }))

let private scenario name unit (run: bool -> Task<float * float>) =
    name,
    fun quick ->
        task {
            let! value, baseline = run quick
            emit { Bench = name; Value = value; Unit = unit; Baseline = Some baseline }
        }

/// The channel scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list =
    [ for kind in [ "uds"; "tcp" ] ->
          scenario $"channel.pingpong.{kind}" "round trips/s" (fun quick ->
              compare quick kind "raw-echo" "channel-echo" rawPingPong channelPingPong)
      for kind in [ "uds"; "tcp" ] ->
          scenario $"channel.oneway.{kind}" "msgs/s" (fun quick ->
              compare quick kind "raw-sink" "channel-sink" rawOneway channelOneway) ]
