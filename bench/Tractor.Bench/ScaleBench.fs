/// Scale curves: how a cost grows as the work grows. Each point is one JSON line; its baseline
/// is the curve's first point scaled linearly (or, for throughput, the first point itself), from
/// the same run, so a ratio at or below 1 (at or above 1 for throughput) means linear or better.
/// `spawn.concurrent{8,32,64}` and `error.teardown{8,32}` are in ActorBench.
module TractorNet.Bench.ScaleBench

open System
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Bench.Report
open TractorNet.Bench.ActorBench

// ---------------------------------------------------------------- what the actors run

/// A chain of `depth` nested actors: each spawns the next; the leaf answers with the depth.
let rec chain (depth: int) () : Task<int> =
    if depth <= 1 then
        Task.FromResult 1
    else
        nursery {
            let! p = runInActor ($"link{depth - 1}", fun () -> chain (depth - 1) ())
            let! below = p.Result()
            return below + 1
        }

/// A context that starts, then stays open until its caller cancels it.
let holdOpen (ctx: Context<int>) : Task<int> =
    task {
        do! ctx.Started 0

        try
            do! Task.Delay(Timeout.Infinite, ctx.Token)
        with :? OperationCanceledException ->
            ()

        return 0
    }

/// This actor's managed heap after a full collection (bytes).
let heapBytes () : Task<int64> = Task.FromResult(GC.GetTotalMemory true)

let private thisModule = "TractorNet.Bench.ScaleBench"

// ---------------------------------------------------------------- tree.depth{1,4,8}

let private depthOnce (depth: int) =
    task {
        let t0 = Stopwatch.GetTimestamp()

        let! answer =
            nursery {
                let! p = runInActor ("link", fun () -> chain depth ())
                return! p.Result()
            }

        if answer <> depth then failwith $"a chain of {depth} answered {answer}"
        return elapsedMs t0
    }

/// Time until the leaf of a chain of nested actors answers the root (ms, reaping included);
/// baseline: depth x the one-actor chain of the same run.
let private treeDepth quick =
    task {
        let rounds = if quick then 3 else 7
        let! _ = depthOnce 2 // warm-up
        let mutable single = nan

        for depth in [ 1; 4; 8 ] do
            let samples = ResizeArray()

            for _ in 1..rounds do
                let! ms = depthOnce depth
                samples.Add ms

            if depth = 1 then single <- median samples
            emit { Bench = $"tree.depth{depth}"; Value = median samples; Unit = "ms"; Baseline = Some(single * float depth) }
    }

// ---------------------------------------------------------------- portal.concurrent{1,16,256}

/// Round trips/s with `inFlight` callers each calling in a loop on one portal for `duration`.
let private callRate (d: Portal) (inFlight: int) (duration: TimeSpan) =
    task {
        let sw = Stopwatch.StartNew()

        let caller () : Task<int> =
            task {
                let mutable i = 0

                while sw.Elapsed < duration do
                    let! v = d.Run(fun () -> inc i)
                    if v <> i + 1 then failwith $"inc {i} returned {v}"
                    i <- i + 1

                return i
            }

        let! counts = Task.WhenAll [ for _ in 1..inFlight -> caller () ]
        return float (Array.sum counts) / sw.Elapsed.TotalSeconds
    }

/// Calls in flight on one portal; baseline: one call at a time, measured in the same run.
let private portalConcurrent quick =
    task {
        let duration = TimeSpan.FromSeconds(if quick then 1.5 else 4.0)

        do!
            nursery {
                let! d = startActor ("echo", [ "TractorNet.Bench.ActorBench" ])
                let! _ = callRate d 16 (TimeSpan.FromSeconds(if quick then 3.0 else 6.0)) // JIT warm-up
                let! single = callRate d 1 duration

                for inFlight in [ 1; 16; 256 ] do
                    let! rate = if inFlight = 1 then Task.FromResult single else callRate d inFlight duration
                    emit { Bench = $"portal.concurrent{inFlight}"; Value = rate; Unit = "round trips/s"; Baseline = Some single }

                let! _ = d.CancelActor()
                ()
            }
    }

// ---------------------------------------------------------------- contexts.open{1,100,1000}

/// Opens `count` contexts at once on `d` until all have started (ms) and the managed memory they
/// hold on both sides (bytes per context, after full collections); then closes them all.
let private openContexts (d: Portal) (count: int) =
    task {
        let! calleeBefore = d.Run heapBytes
        let callerBefore = GC.GetTotalMemory true
        let t0 = Stopwatch.GetTimestamp()
        let! opened = Task.WhenAll [ for _ in 1..count -> d.OpenContext(holdOpen) ]
        let ms = elapsedMs t0
        let! calleeAfter = d.Run heapBytes
        let callerAfter = GC.GetTotalMemory true

        for ctx, _ in opened do
            do! ctx.Cancel()
            do! ctx.DisposeAsync()

        let perContext = float (calleeAfter - calleeBefore + callerAfter - callerBefore) / float count
        return ms, perContext
    }

/// Contexts open at once on one portal: time until all started (baseline: count x one context
/// of the same run) and memory per context on both sides together (`contexts.memory{n}`).
let private contextsOpen quick =
    task {
        let rounds = if quick then 2 else 5

        do!
            nursery {
                let! d = startActor ("contexts", [ thisModule ])
                let! _ = openContexts d 100 // warm-up
                let mutable single = nan

                for count in [ 1; 100; 1000 ] do
                    let times = ResizeArray()
                    let bytes = ResizeArray()

                    for _ in 1..rounds do
                        let! ms, perContext = openContexts d count
                        times.Add ms
                        bytes.Add perContext

                    if count = 1 then single <- median times
                    emit { Bench = $"contexts.open{count}"; Value = median times; Unit = "ms"; Baseline = Some(single * float count) }
                    emit { Bench = $"contexts.memory{count}"; Value = median bytes / 1024.0; Unit = "KiB/context"; Baseline = None }

                let! _ = d.CancelActor()
                ()
            }
    }

/// The scale scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list =
    [ scenario "tree.depth" treeDepth
      scenario "portal.concurrent" portalConcurrent
      scenario "contexts.open" contextsOpen ]
