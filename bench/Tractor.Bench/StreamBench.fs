/// Streaming benchmarks: a context ping-pong over a `MsgStream`, one-way streams of small
/// integers and of 1 KiB / 64 KiB arrays from a daemon actor over a Unix socket. Baselines are
/// measured in the same run, interleaved with the figure: the raw async-socket ping-pong (8 bytes
/// each way) and the raw batched socket stream of frames as large as the stream's item frames.
/// Diagnostics on stderr: bytes allocated per item on each side (`GC.GetTotalAllocatedBytes`,
/// whole process); for the arrays, peak working set and managed heap on each side.
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

/// `count` items of `size` bytes: one array yielded again and again, as a producer reusing its
/// buffer would (the stream copies each item as it sends it).
let blobs (count: int) (size: int) : IAsyncEnumerable<byte[]> =
    let blob = Array.init size byte

    taskSeq {
        for _ in 1..count do
            yield blob
    }

/// This process's peak working set and its managed heap after the last GC, in bytes.
let memory () : Task<int64 * int64> =
    Task.FromResult(Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64, GC.GetGCMemoryInfo().HeapSizeBytes)

/// Bytes this process allocated so far (all threads).
let allocated () : Task<int64> = Task.FromResult(GC.GetTotalAllocatedBytes true)

/// CPU time this process used so far (all threads), in nanoseconds.
let cpuTime () : Task<int64> =
    Task.FromResult(int64 (Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds * 1e6))

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

/// CPU nanoseconds per item used by this process and by the daemon while `run` moved its items
/// (what an item costs each side, whatever else the machine runs).
let private cpuPerItem (d: Portal) (run: unit -> Task<int64>) =
    task {
        let! remoteBefore = d.Run(fun () -> cpuTime ())
        let! localBefore = cpuTime ()
        let! items = run ()
        let! localAfter = cpuTime ()
        let! remoteAfter = d.Run(fun () -> cpuTime ())
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
        let! localCpu, remoteCpu = cpuPerItem d (repeated 5 run)
        eprintfn $"{name}: CPU ns per item: receiver {localCpu:F1}, sender {remoteCpu:F1}"
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

// ---------------------------------------------------------------- stream.oneway.1k / 64k

/// The payload size of one `Yield` frame carrying a `size`-byte array.
let private blobFrameSize (size: int) =
    let codec = ItemCodecs.create<byte[]> TractorNet.Wire.MsgPackSerializer.Default
    let item = ArrayBufferWriter<byte>()
    codec.Write(item, Array.zeroCreate size)
    let frame = ArrayBufferWriter<byte>()
    YieldFrames.encode.Invoke(frame, struct (1L, item.WrittenMemory))
    frame.WrittenCount

/// Samples this process's working set and managed heap until disposed: (peak working set, peak heap).
type private MemorySampler() =
    let stop = new CancellationTokenSource()
    let mutable peakWs = 0L
    let mutable peakHeap = 0L

    let loop =
        task {
            while not stop.IsCancellationRequested do
                peakWs <- max peakWs Environment.WorkingSet
                peakHeap <- max peakHeap (GC.GetTotalMemory false)

                try
                    do! Task.Delay(20, stop.Token)
                with :? OperationCanceledException ->
                    ()
        }

    member _.Stop() =
        task {
            stop.Cancel()
            do! loop
            return peakWs, peakHeap
        }

/// One-way streams of `count` arrays of `size` bytes on a daemon (default options), interleaved
/// with `rawBatch`: (items/s, raw messages/s). Every item's length is checked, its first, middle
/// and last bytes too, and the first item of each run byte for byte.
let private bytesOn (name: string) (size: int) (count: int) quick (rawBatch: ChannelBench.Batch) (d: Portal) =
    task {
        let stream = d.OpenStreamFrom(fun () -> blobs count size)
        let expected = Array.init size byte

        let run () : Task<int64> =
            task {
                let e = stream.GetAsyncEnumerator CancellationToken.None
                let mutable n = 0
                let mutable go = true

                while go do
                    let! more = e.MoveNextAsync()

                    if more then
                        let b = e.Current

                        if b.Length <> size
                           || b[0] <> expected[0]
                           || b[size / 2] <> expected[size / 2]
                           || b[size - 1] <> expected[size - 1]
                           || (n = 0 && not (ReadOnlySpan(b).SequenceEqual(ReadOnlySpan expected))) then
                            failwith $"item {n} was not the array sent"

                        n <- n + 1
                    else
                        go <- false

                do! e.DisposeAsync()

                if n <> count then
                    failwith $"the stream ended after {n} of {count} items"

                return int64 n
            }

        let sampler = MemorySampler()
        do! warmUp quick run rawBatch
        let gen2 = GC.CollectionCount 2
        let! rates = ChannelBench.interleave quick run rawBatch
        let gen2 = GC.CollectionCount 2 - gen2
        let! peakWs, peakHeap = sampler.Stop()
        let! remoteWs, remoteHeap = d.Run(fun () -> memory ())
        let mb (b: int64) = float b / 1048576.0

        eprintfn
            $"{name}: receiver peak working set {mb peakWs:F1} MB, peak managed heap {mb peakHeap:F1} MB, gen2 GCs {gen2}; sender peak working set {mb remoteWs:F1} MB, heap {mb remoteHeap:F1} MB"

        return rates, (peakWs, remoteWs)
    }

/// MB/s of one-way streams of `size`-byte arrays, against the raw batched socket moving frames
/// as large as the items' frames in the same run; then the peak working sets.
let private bytesOneway (name: string) (size: int) (count: int) quick =
    task {
        let frame = blobFrameSize size

        let! (value, raw), (receiverWs, senderWs) =
            ChannelBench.withRawStreamOf "uds" frame (int64 count) (fun rawBatch ->
                withDaemon "blobs" (bytesOn name size count quick rawBatch))

        let mbs (perSecond: float) = perSecond * float size / 1e6
        emit { Bench = name; Value = mbs value; Unit = "MB/s"; Baseline = Some(mbs raw) }
        emit { Bench = name + ".receiver_peak_ws"; Value = float receiverWs / 1048576.0; Unit = "MB"; Baseline = None }
        emit { Bench = name + ".sender_peak_ws"; Value = float senderWs / 1048576.0; Unit = "MB"; Baseline = None }
    }

/// The stream scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list =
    [ "context.pingpong", contextPingPong
      "stream.oneway", oneway "stream.oneway" StreamOptions.Default
      "stream.oneway.overruns", oneway "stream.oneway.overruns" (StreamOptions.Default.WithOverruns Overruns.Allow)
      // The peers' one-way scenario acknowledges every 1024 messages: ours with that window.
      "stream.oneway.w1024", oneway "stream.oneway.w1024" (StreamOptions.Default.WithBufferSize 1024)
      "stream.oneway.1k", bytesOneway "stream.oneway.1k" 1024 20_000
      "stream.oneway.64k", bytesOneway "stream.oneway.64k" 65536 1_000 ]
