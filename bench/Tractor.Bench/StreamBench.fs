/// Streaming benchmarks: a context ping-pong over a `MsgStream` and one-way streams of small
/// integers from a daemon actor over a Unix socket. Baselines are measured in the same run,
/// interleaved with the figure: the raw async-socket ping-pong (8 bytes each way) and the raw
/// batched socket stream of frames as large as the stream's item frames. Diagnostics on stderr:
/// bytes allocated per item on each side (`GC.GetTotalAllocatedBytes`, whole process).
module TractorNet.Bench.StreamBench

open System
open System.Buffers
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Runtime
open TractorNet.Bench.Report

// ---------------------------------------------------------------- what the actor runs

/// The module the daemon enables.
let private thisModule = "TractorNet.Bench.StreamBench"

/// Echoes every int back on the context's stream; returns how many it echoed.
let echoInts (ctx: Context<int>) : Task<int> =
    task {
        do! ctx.Started 0
        use stream = ctx.OpenStream<int, int>()
        let mutable n = 0

        for x in stream do
            do! stream.Send x
            n <- n + 1

        return n
    }

/// `count` small integers (0..99 over and over), the one-way stream's generator.
let smallInts (count: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. count - 1 do
            yield i % 100
    }

/// Bytes this process allocated so far (all threads).
let allocated () : Task<int64> = Task.FromResult(GC.GetTotalAllocatedBytes true)

// ---------------------------------------------------------------- helpers

/// Bytes allocated per item by this process and by the daemon while `run` moved `items` items.
/// `batch` run `times` times in a row: the items of all the runs.
let private repeated (times: int) (batch: ChannelBench.Batch) () : Task<int64> =
    task {
        let mutable n = 0L

        for _ in 1..times do
            let! k = batch ()
            n <- n + k

        return n
    }

let private allocationPerItem (d: Portal) (run: unit -> Task<int64>) =
    task {
        let! remoteBefore = d.Run(fun () -> allocated ())
        let localBefore = GC.GetTotalAllocatedBytes true
        let! items = run ()
        let localAfter = GC.GetTotalAllocatedBytes true
        let! remoteAfter = d.Run(fun () -> allocated ())
        return float (localAfter - localBefore) / float items, float (remoteAfter - remoteBefore) / float items
    }

/// The payload size of one stream item's frame (`Yield(key, item)`) for a small int and a
/// one-byte key: what the raw baseline sends per message.
let private itemFrameSize () =
    let codec = ItemCodecs.create<int> TractorNet.Wire.MsgPackSerializer.Default
    let item = ArrayBufferWriter<byte>()
    codec.Write(item, 42)
    let frame = ArrayBufferWriter<byte>()
    YieldFrames.encode.Invoke(frame, struct (1L, item.WrittenMemory))
    frame.WrittenCount

/// Runs `body` on a fresh daemon enabling this module, then cancels the daemon.
let private withDaemon (name: string) (body: Portal -> Task<'T>) : Task<'T> =
    nursery {
        let! d = startActor (name, [ thisModule ])
        let! v = body d
        let! _ = d.CancelActor()
        return v
    }

/// Runs the batch for a few seconds first: on this 2-core machine both processes' hot paths
/// take seconds to reach their optimised JIT tier, and the figure is the steady state.
let warmUp quick (a: ChannelBench.Batch) (b: ChannelBench.Batch) =
    task {
        let sw = Diagnostics.Stopwatch.StartNew()

        while sw.Elapsed < TimeSpan.FromSeconds(if quick then 2.0 else 5.0) do
            let! _ = a ()
            let! _ = b ()
            ()
    }

// ---------------------------------------------------------------- context.pingpong

/// The ping-pong on a daemon, interleaved with `rawBatch`: (round trips/s, raw round trips/s).
/// Every echo is checked, and so is the count the callee returns at the end.
let private pingPongOn quick (rawBatch: ChannelBench.Batch) (d: Portal) =
    task {
        let! ctx, _ = d.OpenContext echoInts
        let stream = ctx.OpenStream<int, int>()
        let e = stream.GetAsyncEnumerator CancellationToken.None
        let mutable next = 0
        let mutable total = 0L

        let batch: ChannelBench.Batch =
            fun () ->
                task {
                    for _ in 1..100 do
                        next <- next + 1
                        do! stream.Send next
                        let! more = e.MoveNextAsync()

                        if not more || e.Current <> next then
                            let got = if more then string e.Current else "the end"
                            failwith $"echo of {next} was {got}"

                    total <- total + 100L
                    return 100L
                }

        do! warmUp quick batch rawBatch
        let! rates = ChannelBench.interleave quick batch rawBatch

        let! local, remote =
            allocationPerItem d (repeated 100 batch)

        eprintfn $"context.pingpong: bytes allocated per round trip: caller {local:F1}, callee {remote:F1}"
        do! stream.Stop()
        let! more = e.MoveNextAsync()

        if more then
            failwith "the echo stream did not end after Stop"

        let! echoed = ctx.Result()

        if int64 echoed <> total then
            failwith $"the callee echoed {echoed} items, the caller sent {total}"

        do! ctx.DisposeAsync()
        return rates
    }

/// Round trips per second of a context ping-pong (send an int, read its echo) on one context,
/// interleaved with the raw async-socket ping-pong over a Unix socket.
let private contextPingPong quick =
    task {
        let! value, raw = ChannelBench.withRawPingPong "uds" (fun rawBatch -> withDaemon "ctxecho" (pingPongOn quick rawBatch))
        emit { Bench = "context.pingpong"; Value = value; Unit = "round trips/s"; Baseline = Some raw }
    }

// ---------------------------------------------------------------- stream.oneway

/// Items per one-way stream run (one batch).
let private itemsPerRun = 200_000

/// One-way streams on a daemon, interleaved with `rawBatch`: (items/s, raw messages/s). Every
/// item is checked, in order, and every run must deliver all of its items.
let private onewayOn (name: string) (options: StreamOptions) (size: int) quick (rawBatch: ChannelBench.Batch) (d: Portal) =
    task {
        let stream = d.OpenStreamFrom((fun () -> smallInts itemsPerRun), options)

        let run () : Task<int64> =
            task {
                let e = stream.GetAsyncEnumerator CancellationToken.None
                let mutable n = 0
                let mutable go = true

                while go do
                    let! more = e.MoveNextAsync()

                    if more then
                        if e.Current <> n % 100 then
                            failwith $"item {n} was {e.Current}, expected {n % 100}"

                        n <- n + 1
                    else
                        go <- false

                do! e.DisposeAsync()

                if n <> itemsPerRun then
                    failwith $"the stream ended after {n} of {itemsPerRun} items"

                return int64 n
            }

        do! warmUp quick run rawBatch
        let! rates = ChannelBench.interleave quick run rawBatch

        let! local, remote =
            allocationPerItem d (repeated 3 run)

        eprintfn $"{name}: bytes allocated per item: caller {local:F2}, callee {remote:F2} (raw frame payload {size} B)"
        return rates
    }

/// Messages per second of one-way streams of `itemsPerRun` small ints from a daemon,
/// interleaved with the raw batched socket stream of frames as large as the items' frames.
let private oneway (name: string) (options: StreamOptions) quick =
    task {
        let size = itemFrameSize ()

        let! value, raw =
            ChannelBench.withRawStream "uds" size (fun rawBatch -> withDaemon "streamer" (onewayOn name options size quick rawBatch))

        emit { Bench = name; Value = value; Unit = "msgs/s"; Baseline = Some raw }
    }

/// The stream scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list =
    [ "context.pingpong", contextPingPong
      "stream.oneway", oneway "stream.oneway" StreamOptions.Default
      "stream.oneway.overruns", oneway "stream.oneway.overruns" (StreamOptions.Default.WithOverruns Overruns.Allow) ]
