/// Actor benchmarks: spawning, portal calls, error teardown and an idle actor's memory. Actors
/// are started by the runtime (`dotnet exec … Tractor.FSharp.dll` with this bench's deps file),
/// so the functions they run are module functions of this assembly. Baselines are measured in
/// the same run: the .NET start floor is this assembly started by the same host with the same
/// runtime config and deps file, doing nothing (a hidden flag), and the raw round trip is
/// ChannelBench's raw-socket ping-pong. Every scenario ends by checking that no child process of
/// ours is left (not even a zombie).
module TractorNet.Bench.ActorBench

open System
open System.Diagnostics
open System.IO
open System.Reflection
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Spawning
open TractorNet.Runtime
open TractorNet.Bench.Report

/// Hidden first argument: exit at once (the cold-start floor).
[<Literal>]
let ExitFlag = "--floor-exit"

/// Hidden first argument: print "hello", then idle until standard input closes (the memory floor).
[<Literal>]
let IdleFlag = "--floor-idle"

/// The idle floor process's main. It writes and reads its standard streams as plain file
/// descriptors: System.Console (or printf) would load culture data (ICU, ~3 MB resident) and
/// System.Console.dll, which an idle actor does not, and so raise the floor.
let idleHello () =
    use stdout = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(nativeint 1, false), FileAccess.Write, 1)
    stdout.Write("hello\n"B, 0, 6)
    stdout.Flush()
    use stdin = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(nativeint 0, false), FileAccess.Read, 1)
    let buffer = Array.zeroCreate<byte> 256
    while stdin.Read(buffer, 0, buffer.Length) > 0 do
        ()
    0

// ---------------------------------------------------------------- what the actors run

/// The module the daemons enable.
let private thisModule = "TractorNet.Bench.ActorBench"

/// A portal call's target: one int in, one int out.
let inc (x: int) : Task<int> = Task.FromResult(x + 1)

/// Hangs until its call is cancelled.
let hang () : Task<unit> =
    task { do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken) }

/// Raises at once; the message is the raise time on the system-wide monotonic clock
/// (`Stopwatch.GetTimestamp` is CLOCK_MONOTONIC on Linux, comparable across processes).
let raiseNow () : Task<unit> =
    task { return raise (InvalidOperationException(string (Stopwatch.GetTimestamp()))) }

/// Where a fresh actor's start-up went, seen from inside it at its first call: methods JIT-compiled,
/// JIT time, CPU time and wall time since its process started (ms).
let startupStats () : Task<string> =
    task {
        use me = Process.GetCurrentProcess()
        let sinceStart = (DateTime.Now - me.StartTime).TotalMilliseconds
        return
            $"methods JIT-compiled {Runtime.JitInfo.GetCompiledMethodCount()}, JIT time {Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms, "
            + $"CPU {me.TotalProcessorTime.TotalMilliseconds:F0} ms, wall {sinceStart:F0} ms since exec, "
            + $"assemblies loaded {AppDomain.CurrentDomain.GetAssemblies().Length}"
    }

// ---------------------------------------------------------------- floors and checks

/// This assembly, started exactly like an actor child (same host, `exec`, runtime config and
/// deps file) but running its own trivial main instead of the actor runtime.
let private floorStartInfo (flag: string) =
    let host, args = ChildCommand.build "floor"
    let library = typeof<ActorNursery>.Assembly.Location
    let psi = ProcessStartInfo(host, UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true)
    for a in (args |> List.takeWhile (fun a -> a <> library)) @ [ Assembly.GetExecutingAssembly().Location; flag ] do
        psi.ArgumentList.Add a
    psi

/// Starts the floor process, runs `body` on it, then closes its stdin and reaps it (killing it if it lingers).
let private withFloor (flag: string) (body: Process -> Task<'T>) : Task<'T> =
    task {
        use p = Process.Start(floorStartInfo flag)
        try
            return! body p
        finally
            p.StandardInput.Close()
            if not (p.WaitForExit 10_000) then
                p.Kill true
                p.WaitForExit()
    }

/// Time to start the trivial process and see it exit (ms).
let private floorExitOnce () =
    task {
        let t0 = Stopwatch.GetTimestamp()
        return!
            withFloor ExitFlag (fun p ->
                task {
                    do! p.WaitForExitAsync()
                    if p.ExitCode <> 0 then failwith $"floor process exited with {p.ExitCode}"
                    return Stopwatch.GetElapsedTime(t0).TotalMilliseconds
                })
    }

let internal elapsedMs (t0: int64) = Stopwatch.GetElapsedTime(t0).TotalMilliseconds

/// The pids whose parent is this process (zombies included: they are not reaped yet).
let private ourChildren () =
    let me = string Environment.ProcessId
    [ for dir in Directory.EnumerateDirectories "/proc" do
          match Int32.TryParse(Path.GetFileName dir) with
          | true, pid ->
              try
                  let isOurs (line: string) = line.StartsWith "PPid:" && line.Substring(5).Trim() = me
                  if File.ReadLines $"{dir}/status" |> Seq.exists isOurs then yield pid
              with _ -> () // the process ended while we looked
          | _ -> () ]

/// Fails the scenario if any child process of ours is left.
let private checkReaped (scenario: string) =
    match ourChildren () with
    | [] -> ()
    | pids -> failwith $"{scenario}: child processes left behind: {pids}"

/// Runs a scenario body, then checks that every process it started has been reaped (every
/// scenario that spawns uses it).
let internal scenario (name: string) (run: bool -> Task<unit>) =
    name,
    fun quick ->
        task {
            do! run quick
            checkReaped name
        }

// ---------------------------------------------------------------- spawn.cold

/// Spawn-to-result of `runInActor trivial` (ms), measured inside the nursery: the reap at the
/// nursery's exit comes after the clock stops.
let internal coldSpawnOnce () =
    // A new process whatever TRACTOR_SPAWN_METHOD says.
    nursery.With(spawnMethod = SpawnMethod.NewProcess) {
        let t0 = Stopwatch.GetTimestamp()
        SpawnTrace.mark "bench.t0"
        let! p = runInActor ActorTargets.trivial
        let! v = p.Result()
        SpawnTrace.markAndFlush "bench.result"
        if v <> 1 then failwith "wrong result"
        return elapsedMs t0
    }

let private spawnCold quick =
    task {
        let samples = if quick then 20 else 40
        // Warm-up: a steady parent. The runtime recompiles a method at tier 1 after 30 calls, in
        // the background; with a short warm-up that happens during the samples and takes a core
        // from the child being timed (a parent's JIT, not a spawn cost).
        for _ in 1..35 do
            let! _ = coldSpawnOnce ()
            let! _ = floorExitOnce ()
            ()
        let spawn = ResizeArray()
        let floor = ResizeArray()
        // Alternate the two so machine noise hits both alike.
        for _ in 1..samples do
            let! s = coldSpawnOnce ()
            spawn.Add s
            let! f = floorExitOnce ()
            floor.Add f
        emit { Bench = "spawn.cold"; Value = median spawn; Unit = "ms"; Baseline = Some(median floor) }
        // Diagnostics (stderr): what a fresh actor has spent by its first call.
        let! stats = nursery { let! p = runInActor startupStats in return! p.Result() }
        eprintfn $"spawn.cold: a fresh actor at its first call: {stats}"
    }

// ---------------------------------------------------------------- spawn.warm

/// Spawn-to-result of `runInActor trivial` from a warm pool (ms): the pool is full and warm
/// before each sample (its refill after the previous one is off the clock).
let private warmSpawnOnce (n: ActorNursery) =
    task {
        do! n.FillPoolAsync()
        let t0 = Stopwatch.GetTimestamp()
        SpawnTrace.mark "bench.t0"
        let! p = ActorOps.runInActor ActorTargets.trivial n
        let! v = p.Result()
        SpawnTrace.markAndFlush "bench.result"
        if v <> 1 then failwith "wrong result"
        return elapsedMs t0
    }

/// `spawn.warm`, baseline `spawn.cold` measured in the same run, samples alternated.
let private spawnWarm quick =
    task {
        let samples = if quick then 20 else 40
        let warm = ResizeArray()
        let cold = ResizeArray()

        do!
            nursery.With(spawnMethod = SpawnMethod.WarmPool, poolSize = 2) {
                let! n = currentNursery
                // Warm-up of the parent's side (as spawn.cold's).
                for _ in 1..35 do
                    let! _ = warmSpawnOnce n
                    let! _ = coldSpawnOnce ()
                    ()

                for _ in 1..samples do
                    let! w = warmSpawnOnce n
                    warm.Add w
                    let! c = coldSpawnOnce ()
                    cold.Add c
            }

        emit { Bench = "spawn.warm"; Value = median warm; Unit = "ms"; Baseline = Some(median cold) }
    }

// ---------------------------------------------------------------- spawn.concurrent{8,32,64}

/// `count` daemons started at once until all are ready (ms); then cancelled (off the clock).
let private concurrentSpawnOnce (count: int) =
    nursery {
        let! n = currentNursery
        let t0 = Stopwatch.GetTimestamp()
        let! daemons = Task.WhenAll [ for i in 1..count -> startActor ($"d{i}", [ thisModule ]) n ]
        let ms = elapsedMs t0
        let! _ = Task.WhenAll [ for d: Portal in daemons -> d.CancelActor() ]
        return ms
    }

/// `count` floor processes started at once until all have exited (ms).
let private concurrentFloorOnce (count: int) =
    task {
        let t0 = Stopwatch.GetTimestamp()
        let! _ = Task.WhenAll [ for _ in 1..count -> floorExitOnce () ]
        return elapsedMs t0
    }

/// A point of the concurrent-spawn curve; baseline: as many floor processes started at once.
let private spawnConcurrent (count: int) quick =
    task {
        let rounds = (if quick then 3 else 7) |> min (max 2 (256 / count))
        let! _ = concurrentSpawnOnce count
        let! _ = concurrentFloorOnce count
        let spawn = ResizeArray()
        let floor = ResizeArray()
        for _ in 1..rounds do
            let! s = concurrentSpawnOnce count
            spawn.Add s
            let! f = concurrentFloorOnce count
            floor.Add f
        emit { Bench = $"spawn.concurrent{count}"; Value = median spawn; Unit = "ms"; Baseline = Some(median floor) }
        eprintfn $"spawn.concurrent{count}: {median spawn / float count:F1} ms per actor"
    }

// ---------------------------------------------------------------- portal.call

/// CPU time (user + system) a process has used so far, in microseconds.
let private cpuMicros (p: Process) =
    p.Refresh()
    p.TotalProcessorTime.TotalMicroseconds

/// CPU microseconds both processes spend per operation over `n` operations of `batch`.
let private cpuPerOp (n: int64) (a: Process) (b: Process) (batch: ChannelBench.Batch) =
    task {
        let before = cpuMicros a + cpuMicros b
        let mutable ops = 0L
        while ops < n do
            let! k = batch ()
            ops <- ops + k
        return (cpuMicros a + cpuMicros b - before) / float ops
    }

/// Times a process's threads have blocked so far (voluntary context switches, from /proc): preemptions
/// (the involuntary ones) are left out, as they count the machine's load, not the code's hand-offs.
let private switches (pid: int) =
    let mutable total = 0L
    for task in Directory.GetDirectories $"/proc/{pid}/task" do
        try
            for line in File.ReadLines(Path.Combine(task, "status")) do
                if line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) then
                    total <- total + int64 (line.Substring(line.IndexOf(':') + 1).Trim())
        with :? IOException | :? UnauthorizedAccessException ->
            () // the thread ended meanwhile
    total

/// Times both processes' threads block per operation over `n` operations of `batch`: each is a
/// thread going to sleep and being woken, the cost a round trip pays beside its own work.
let private switchesPerOp (n: int64) (a: Process) (b: Process) (batch: ChannelBench.Batch) =
    task {
        let before = switches a.Id + switches b.Id
        let mutable ops = 0L
        while ops < n do
            let! k = batch ()
            ops <- ops + k
        return float (switches a.Id + switches b.Id - before) / float ops
    }

/// Portal round trips per second on a daemon (`inc i`, each answer checked), interleaved with
/// the raw async-socket ping-pong over a Unix socket (the runtime's transport). `portal.call` runs a
/// function prepared once (`Remote.Function inc`, the form for hot loops); `portal.call.quoted` the
/// one-step `portal.Run(fun () -> inc i)`, whose quotation F# rebuilds on every call.
/// `portal.call.cpu`: CPU microseconds both processes spend per call against the raw ping-pong's per
/// round trip (lower is better; unlike rates, it holds on a loaded machine). `portal.call.switches`: times the
/// threads of both processes block per call against the raw ping-pong's per round trip.
let private portalCall quick =
    task {
        let! (calls, raw), (quoted, raw2), (cpu, rawCpu, switched, rawSwitched) =
            ChannelBench.withRawPingPongPeer "uds" (fun echo rawBatch ->
                nursery {
                    let! d = startActor ("echo", [ thisModule ])
                    let incRemote = Remote.Function inc
                    let callBatch: ChannelBench.Batch =
                        fun () ->
                            task {
                                for i in 1..100 do
                                    let! v = d.Run(incRemote, i)
                                    if v <> i + 1 then failwith $"inc {i} returned {v}"
                                return 100L
                            }
                    let quotedBatch: ChannelBench.Batch =
                        fun () ->
                            task {
                                for i in 1..100 do
                                    let! v = d.Run(fun () -> inc i)
                                    if v <> i + 1 then failwith $"inc {i} returned {v}"
                                return 100L
                            }
                    // Warm-up beyond interleave's own: on this 2-core machine the call path of both
                    // processes takes seconds to reach its optimised JIT tier (measured: ~35% of raw
                    // after 1 s of warm-up, ~65% after 6 s), and the figure is the steady state.
                    let warmUp = Stopwatch.StartNew()
                    let mutable firstSecond = 0L
                    while warmUp.Elapsed < TimeSpan.FromSeconds(if quick then 4.0 else 6.0) do
                        let! n = callBatch ()
                        if warmUp.Elapsed < TimeSpan.FromSeconds 1.0 then firstSecond <- firstSecond + n
                        let! _ = quotedBatch ()
                        let! _ = rawBatch ()
                        ()
                    eprintfn $"portal.call: calls in the first second of warm-up (cold JIT, raw ping-pong interleaved): {firstSecond}"
                    let! rates = ChannelBench.interleave quick callBatch rawBatch
                    let! quotedRates = ChannelBench.interleave quick quotedBatch rawBatch
                    use me = Process.GetCurrentProcess()
                    use child = Process.GetProcessById d.Pid
                    let n = if quick then 5_000L else 20_000L
                    let! _ = cpuPerOp n me child callBatch
                    let! cpu = cpuPerOp n me child callBatch
                    let! rawCpu = cpuPerOp n me echo rawBatch
                    let! switched = switchesPerOp n me child callBatch
                    let! rawSwitched = switchesPerOp n me echo rawBatch
                    let! _ = d.CancelActor()
                    return rates, quotedRates, (cpu, rawCpu, switched, rawSwitched)
                })
        emit { Bench = "portal.call"; Value = calls; Unit = "round trips/s"; Baseline = Some raw }
        emit { Bench = "portal.call.quoted"; Value = quoted; Unit = "round trips/s"; Baseline = Some raw2 }
        emit { Bench = "portal.call.cpu"; Value = cpu; Unit = "us CPU per call"; Baseline = Some rawCpu }
        emit { Bench = "portal.call.switches"; Value = switched; Unit = "blocking waits per call"; Baseline = Some rawSwitched }
    }

// ---------------------------------------------------------------- error.teardown{8,32}

let rec private remoteErrors (e: exn) : RemoteActorError list =
    match e with
    | :? RemoteActorError as r -> [ r ]
    | :? AggregateException as a -> a.InnerExceptions |> Seq.collect remoteErrors |> List.ofSeq
    | _ -> []

/// What is measured: from the moment the raising child raises (its own monotonic timestamp,
/// carried in the error message) until the root catches the error raised by `nursery { }`.
/// That span covers the error's trip to the root, the nursery's cancellation of the `count` hanging
/// siblings (remote call cancel, CancelActor, their exit) and the reaping of all the processes:
/// the nursery raises only once every child is gone, which is checked afterwards. The siblings
/// and the raiser are all connected and running before the raise, so no spawn time is included.
let private teardownOnce (count: int) =
    task {
        let siblingPids = ResizeArray<int>()
        let! measured =
            task {
                try
                    do!
                        nursery {
                            let! n = currentNursery
                            let! (siblings: Portal<unit>[]) = Task.WhenAll [ for i in 1..count -> runInActor ($"sibling_{i}", hang) n ]
                            for s in siblings do
                                siblingPids.Add s.Pid
                            let! _ = runInActor ("raiser", raiseNow)
                            ()
                        }
                    return failwith "the nursery did not raise"
                with e ->
                    let seen = Stopwatch.GetTimestamp()
                    match remoteErrors e |> List.tryFind (fun r -> r.TypeName = typeof<InvalidOperationException>.FullName) with
                    | Some r -> return Stopwatch.GetElapsedTime(Int64.Parse r.RemoteMessage, seen).TotalMilliseconds
                    | None -> return raise (Exception("the raiser's error did not surface", e))
            }
        match siblingPids |> Seq.filter (fun pid -> Directory.Exists $"/proc/{pid}") |> List.ofSeq with
        | [] -> return measured
        | alive -> return failwith $"siblings still alive after the nursery raised: {alive}"
    }

/// Baseline: none. There is no raw equivalent of "cancel a supervised tree and surface its
/// error", and the cancel ladder's graceful bound is a constant worst case (a timeout), not a
/// cost measured in this run; a ratio against it would only restate the value.
let private errorTeardown (count: int) quick =
    task {
        let rounds = if quick then 3 else 10
        let! _ = teardownOnce count
        let samples = ResizeArray()
        for _ in 1..rounds do
            let! ms = teardownOnce count
            samples.Add ms
        emit { Bench = $"error.teardown{count}"; Value = median samples; Unit = "ms"; Baseline = None }
        eprintfn $"error.teardown{count}: {median samples / float count:F1} ms per sibling"
    }

// ---------------------------------------------------------------- memory.idle_actor, memory.served_actor

/// A field of /proc/<pid>/<file> ("Name:   123 kB"), in MB.
let private procMb (pid: int) (file: string) (field: string) =
    let line = File.ReadLines $"/proc/{pid}/{file}" |> Seq.find (fun l -> l.StartsWith(field + ":"))
    float (line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0

/// Resident memory of a process, in MB (VmRSS from /proc/<pid>/status).
let private rssMb (pid: int) = procMb pid "status" "VmRSS"

/// Proportional memory of a process, in MB (Pss from /proc/<pid>/smaps_rollup): its private pages,
/// plus each shared page divided by the number of processes mapping it.
let private pssMb (pid: int) = procMb pid "smaps_rollup" "Pss"

/// Round after round: a daemon (connected, ready) that `use` has called (or not), and the floor
/// process (printed "hello"), both alive and idling for the same time, then both measured at the
/// same moment (so every page they share is divided among the same processes). Returns the
/// medians of (daemon RSS, floor RSS, daemon Pss, floor Pss).
let private idleMemory quick (name: string) (``use``: Portal -> Task) =
    task {
        let idle = TimeSpan.FromSeconds(if quick then 0.5 else 2.0)
        let rounds = if quick then 1 else 3
        let samples = ResizeArray()
        for _ in 1..rounds do
            let! sample =
                nursery {
                    let! d = startActor (name, [ thisModule ])
                    do! ``use`` d
                    // The reaping check sees actors (it would miss nothing a scenario leaves).
                    if not (List.contains d.Pid (ourChildren ())) then failwith "the child check does not see the actor"
                    let! sample =
                        withFloor IdleFlag (fun p ->
                            task {
                                let! hello = p.StandardOutput.ReadLineAsync()
                                if hello <> "hello" then failwith $"floor process said {hello}"
                                do! Task.Delay idle
                                return rssMb d.Pid, rssMb p.Id, pssMb d.Pid, pssMb p.Id
                            })
                    let! _ = d.CancelActor()
                    return sample
                }
            samples.Add sample
        let pick f = samples |> Seq.map f |> median
        return pick (fun (a, _, _, _) -> a), pick (fun (_, b, _, _) -> b), pick (fun (_, _, c, _) -> c), pick (fun (_, _, _, d) -> d)
    }

/// Resident memory of an idle daemon (connected, ready, no calls) against the floor process idling
/// just as long; and the same pair's proportional memory (Pss), what one more such actor costs
/// the machine.
let private memoryIdle quick =
    task {
        let! rss, floorRss, pss, floorPss = idleMemory quick "idle" (fun _ -> Task.CompletedTask)
        emit { Bench = "memory.idle_actor"; Value = rss; Unit = "MB"; Baseline = Some floorRss }
        emit { Bench = "memory.idle_actor.pss"; Value = pss; Unit = "MB"; Baseline = Some floorPss }
    }

/// Resident memory of a daemon that has served 20,000 portal calls (prepared and quoted, as
/// `portal.call` makes them; nobody traces), then idled, against the same floor. By then its
/// memory has stopped growing (its GC's gen0 budget and the JIT's tier-1 code are at full size).
let private memoryServed quick =
    task {
        let incRemote = Remote.Function inc
        let serve (d: Portal) : Task =
            task {
                for i in 1..10_000 do
                    let! v = d.Run(incRemote, i)
                    let! w = d.Run(fun () -> inc i)
                    if v <> i + 1 || w <> i + 1 then failwith $"inc {i} returned {v}, {w}"
            }
        let! rss, floorRss, _, _ = idleMemory quick "served" serve
        emit { Bench = "memory.served_actor"; Value = rss; Unit = "MB"; Baseline = Some floorRss }
    }

/// The actor scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list =
    [ yield scenario "spawn.cold" spawnCold
      yield scenario "spawn.warm" spawnWarm
      for count in [ 8; 32; 64 ] do
          yield scenario $"spawn.concurrent{count}" (spawnConcurrent count)
      yield scenario "portal.call" portalCall
      for count in [ 8; 32 ] do
          yield scenario $"error.teardown{count}" (errorTeardown count)
      yield scenario "memory.idle_actor" memoryIdle
      yield scenario "memory.served_actor" memoryServed ]
