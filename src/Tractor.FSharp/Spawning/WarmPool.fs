namespace TractorNet.Spawning

open System
open System.Collections.Generic
open System.Threading.Tasks
open TractorNet

/// A pooled process could not be handed out (it died before it was warm, or the pool is closed).
type internal WarmPoolException(message: string) =
    inherit Exception(message)

/// What a pooled child and its pool say before the spawn spec (see docs/protocol.md).
module internal WarmSignal =
    /// The frame a pooled child sends once it is warm and waiting for its spawn spec.
    let frame = "tractor-warm"B

    /// The placeholder actor name a pooled process starts with (argv, the bootstrap line).
    [<Literal>]
    let PlaceholderName = "(pooled)"

/// One process a warm pool started ahead. `Warm` completes with true once it has said it is
/// warm (the one frame read from its channel, so the next is its answer to the spawn spec),
/// false if it died or closed its channel first.
type internal PooledProcess(child: SpawnedChild) =
    let warm =
        task {
            try
                let! more = child.Channel.ReceiveAsync()
                return more && child.Channel.Current.Span.SequenceEqual(ReadOnlySpan WarmSignal.frame)
            with _ ->
                return false
        }

    member _.Child = child
    member _.Process = child.Process
    member _.Warm: Task<bool> = warm
    /// Warm and alive: the best to hand out.
    member _.IsWarm = warm.IsCompletedSuccessfully && warm.Result && not child.Process.HasExited

/// `SpawnMethod.WarmPool`: keeps `size` actor processes started ahead (runtime loaded, code warm,
/// channel connected: each has sent the warm signal and waits for its spawn spec), hands one out
/// per spawn and starts a replacement in the background. Pooled processes are ordinary children
/// (setpriv's PDEATHSIG, the child's own with its parent check, the standard-input lifeline, the
/// root's process-group kill) and get the tree's secret on the same private pipe; they wait on
/// their channel, not on a listener. `CloseAsync` reaps every idle one (the pool's owner, a
/// nursery, calls it as it ends): closing the channel makes a waiting process exit at once; the
/// cancel ladder's signals follow if it does not. `track`/`untrack` tell the runtime of live
/// children (Ctrl-C escalation).
type internal WarmPool(size: int, template: SpawnRequest, ladder: CancelLadder, track: ChildProcess -> unit, untrack: ChildProcess -> unit) =
    let gate = obj ()
    // Guarded by gate: processes started and not handed out, oldest first (warm or still starting).
    let idle = List<PooledProcess>()
    // Guarded by gate: launches under way (each adds its process to `idle` once started).
    let mutable launching = 0
    // Guarded by gate.
    let mutable closed = false
    // Guarded by gate: launches and reapings under way (CloseAsync waits for them).
    let pending = HashSet<Task>()
    // Guarded by gate: completed (and replaced) whenever `idle` changes or a process turns warm.
    let mutable changed = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    // Guarded by gate: processes started so far (tests and the bench see refills).
    let mutable started = 0

    /// Under gate.
    let notify () =
        let c = changed
        changed <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
        c.TrySetResult() |> ignore

    let keep (t: Task) =
        lock gate (fun () -> pending.Add t |> ignore)
        t.ContinueWith(fun (_: Task) -> lock gate (fun () -> pending.Remove t |> ignore)) |> ignore

    let request = { template with Name = WarmSignal.PlaceholderName; Uid = "" }

    /// Ends a pooled process that will not be handed out: closes its channel (a process waiting
    /// for its spec exits at once), then the ladder's signals if it lingers; reaps it.
    let reap (p: PooledProcess) : Task =
        task {
            try
                do! p.Child.Channel.DisposeAsync()
                let! outcome = Reaper.reap ladder (fun () -> Task.CompletedTask) (fun () -> Task.CompletedTask) p.Process

                if outcome <> Exited then
                    LayerLog.Warn $"warm pool: idle process (pid {p.Process.Pid}) needed {outcome} to exit"
            finally
                untrack p.Process
                (p.Process :> IDisposable).Dispose()
        }

    let rec launchOne () : Task =
        task {
            try
                let! child = NewProcessSpawner.launch request true
                track child.Process
                let p = PooledProcess child

                let added =
                    lock gate (fun () ->
                        launching <- launching - 1
                        started <- started + 1

                        if not closed then
                            idle.Add p
                            notify ()

                        not closed)

                if not added then
                    do! reap p
                else
                    p.Warm.ContinueWith(fun (_: Task<bool>) -> lock gate notify) |> ignore
                    p.Process.Exited.ContinueWith(fun (_: Task) -> diedIdle p) |> ignore
            with e ->
                lock gate (fun () ->
                    launching <- launching - 1
                    notify ())

                LayerLog.Warn $"warm pool: could not start a process: {e.Message}"
        }

    /// A process that exited while idle leaves the pool; one that had been warm is replaced
    /// (one that died starting is not: a process that cannot start would be restarted forever).
    and diedIdle (p: PooledProcess) =
        let removed =
            lock gate (fun () ->
                let removed = idle.Remove p
                if removed then notify ()
                removed)

        if removed then
            LayerLog.Warn $"warm pool: idle process (pid {p.Process.Pid}) exited with code {p.Process.ExitCode}"
            keep (reap p)

            if p.Warm.IsCompletedSuccessfully && p.Warm.Result then
                fill ()

    /// Starts processes until `size` are idle or starting.
    and fill () =
        let count =
            lock gate (fun () ->
                if closed then
                    0
                else
                    let n = max 0 (size - idle.Count - launching)
                    launching <- launching + n
                    n)

        for _ in 1..count do
            keep (launchOne ())

    /// Takes the best idle process (warm, else the oldest still starting), or None.
    let pick () =
        lock gate (fun () ->
            if closed then
                raise (WarmPoolException "the warm pool is closed: its nursery has ended")

            let i = idle.FindIndex(fun p -> p.IsWarm)
            let i = if i >= 0 then i else idle.FindIndex(fun p -> not p.Warm.IsCompleted && not p.Process.HasExited)

            if i < 0 then
                None
            else
                let p = idle[i]
                idle.RemoveAt i
                notify ()
                Some p)

    /// How long a spawn waits for the pooled process it took to be warm.
    static member val WarmTimeout = TimeSpan.FromSeconds 30.0 with get, set

    /// The number of idle processes the pool keeps.
    member _.Size = size

    /// Starts filling the pool (in the background).
    member _.Fill() = fill ()

    /// Idle processes (warm or starting) right now.
    member _.IdleCount = lock gate (fun () -> idle.Count)

    /// Processes the pool has started so far.
    member _.Started = lock gate (fun () -> started)

    /// The pids of the idle processes.
    member _.IdlePids = lock gate (fun () -> [ for p in idle -> p.Process.Pid ])

    /// Completes once `size` idle processes are warm (bench and tests: "the pool is warm").
    member _.WhenWarm() : Task =
        task {
            let mutable go = true

            while go do
                let signal, warming, warm =
                    lock gate (fun () ->
                        if closed then
                            raise (InvalidOperationException "the warm pool is closed: its nursery has ended")

                        changed.Task, [ for p in idle do if not p.Warm.IsCompleted then p.Warm :> Task ], idle |> Seq.filter _.IsWarm |> Seq.length)

                if warm >= size then
                    go <- false
                else
                    let! _ = Task.WhenAny(signal :: warming)
                    ()
        }

    /// Hands out a warm process (waiting for one still starting, or starting one when none is
    /// idle) and starts its replacement. The caller sends it the spawn spec. Raises
    /// WarmPoolException when the process dies before it is warm.
    member _.Take() : Task<SpawnedChild> =
        task {
            let! p =
                task {
                    match pick () with
                    | Some p -> return p
                    | None ->
                        // Empty (the first spawn of a lazily filled pool, or a burst): start one
                        // for this spawn at once, besides the refill.
                        let! child = NewProcessSpawner.launch request true
                        track child.Process
                        lock gate (fun () -> started <- started + 1)
                        return PooledProcess child
                }

            fill ()
            // Bounded like a new process's start (ChildActor.StartTimeout): one that hangs starting is killed.
            let! _ = Task.WhenAny(p.Warm, Task.Delay WarmPool.WarmTimeout)

            if p.Warm.IsCompletedSuccessfully && p.Warm.Result && not p.Process.HasExited then
                return p.Child
            else
                p.Process.Signal Native.SIGKILL |> ignore
                do! reap p

                let how =
                    if not p.Warm.IsCompleted then $"was not warm within {WarmPool.WarmTimeout}"
                    elif p.Process.HasExited then $"exited with code {p.Process.ExitCode} before it was warm"
                    else "closed its channel before it was warm"

                return raise (WarmPoolException $"a warm pool's process (pid {p.Process.Pid}) {how}: it could not be handed out")
        }

    /// Closes the pool: no more hand-outs, every idle process (and every one still being
    /// started) is ended and reaped before this completes.
    member _.CloseAsync() : Task =
        task {
            let toReap, under =
                lock gate (fun () ->
                    closed <- true
                    let l = List.ofSeq idle
                    idle.Clear()
                    notify ()
                    l, List.ofSeq pending)

            let reaps = toReap |> List.map reap
            do! Task.WhenAll(reaps @ under)
            // Launches that finished meanwhile reaped their own process; reapings they started are in `pending`.
            let rest = lock gate (fun () -> List.ofSeq pending)
            do! Task.WhenAll rest
        }

    interface ISpawner with
        member this.Start _ = this.Take()
