/// The node functions of the failure-tree fuzzer: each node of a tree runs in its own actor
/// (child actors load this test assembly through the test host's deps file), starts its children,
/// then does what its spec says. Every node keeps a journal of what it did, so a run can be
/// checked against what each node really did, not only against what the root saw.
module TractorNet.Tests.FailureTreeNodes

open System
open System.Diagnostics
open System.IO
open System.Runtime.InteropServices
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Tests.FailureTreeModel

/// This module's .NET name, to enable it in daemons.
let moduleName = "TractorNet.Tests.FailureTreeNodes"

/// One file per actor in a case's folder, one line per event: `<monotonic ticks> <event> <args>`.
/// Stopwatch ticks are CLOCK_MONOTONIC here, so lines of different processes compare.
/// Events: open (root only) | start <pid> | spawned <child> <pid> | cancel (its call was cancelled
/// from above) | ncancel (its nursery was cancelled) | raise | exit | kill <child> |
/// got <child> <value> | return <value> | fail <error leaves> | external-cancel (root only).
module Journal =
    let private gate = obj ()

    /// Appends one event to `name`'s journal in `dir`.
    let write (dir: string) (name: string) (event: string) (args: string list) =
        let line = String.Join(" ", string (Stopwatch.GetTimestamp()) :: event :: args) + "\n"
        lock gate (fun () -> File.AppendAllText(Path.Combine(dir, name + ".log"), line))

    /// One journal line.
    type Entry = { At: int64; Event: string; Args: string list }

    /// Every journal in `dir`, by actor name.
    let read (dir: string) : Map<string, Entry list> =
        Directory.GetFiles(dir, "*.log")
        |> Array.map (fun f ->
            let entries =
                File.ReadAllLines f
                |> Array.choose (fun l ->
                    match l.Split(' ', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray with
                    | at :: event :: args -> Some { At = int64 at; Event = event; Args = args }
                    | _ -> None)
                |> List.ofArray

            Path.GetFileNameWithoutExtension f, entries)
        |> Map.ofArray

module private Native =
    [<DllImport("libc", SetLastError = true)>]
    extern int kill(int pid, int signal)

type private Log = string -> string list -> unit

/// The node's own part, once its children are up. `ct` is the cancellation it answers to.
let private behave (spec: NodeSpec) (log: Log) (ct: CancellationToken) : Task<int> =
    task {
        match spec.Behaviour with
        | Return(v, delay) ->
            do! Task.Delay(delay, ct)
            return v
        | Raise delay ->
            do! Task.Delay(delay, ct)
            log "raise" []
            return invalidOp $"{FailPrefix}{spec.Name}"
        | Hang ->
            do! Task.Delay(Timeout.Infinite, ct)
            return 0
        | Linger ms ->
            try
                do! Task.Delay(Timeout.Infinite, ct)
                return 0
            with :? OperationCanceledException as e ->
                do! Task.Delay ms // deaf to the cancellation for a while
                return raise e
        | Block ->
            Thread.Sleep Timeout.Infinite
            return 0
        | Exit delay ->
            do! Task.Delay(delay, ct)
            log "exit" []
            Environment.Exit 3
            return 0
    // TODO(streaming): `| Stream(count, delay)` — open a stream to the parent, send 0..count-1
    // (journal "sent <i>" before each), then return; the parent journals "recv <child> <i>" for
    // each item (startChild opens the context/stream instead of a plain call for such children).
    }

/// Runs one node: in a leaf, its behaviour; otherwise a nursery holding its children beside it.
let rec runNode (journal: string) (spec: NodeSpec) () : Task<NodeResult> =
    let log = Journal.write journal spec.Name

    task {
        log "start" [ string Environment.ProcessId ]
        let ct = CancelScope.CurrentToken
        use _ = ct.Register(fun () -> log "cancel" [])

        try
            let! result =
                if spec.Children.IsEmpty then
                    task {
                        let! v = behave spec log ct
                        return { Name = spec.Name; Value = v; Children = [] }
                    }
                else
                    nursery.Run(withChildren journal spec log)

            log "return" [ string result.Value ]
            return result
        with e ->
            log "fail" (leaves e |> List.map _.Key)
            return raise e
    }

/// The nursery body of a node with children: start them all, do the node's part, collect.
and private withChildren (journal: string) (spec: NodeSpec) (log: Log) : NurseryOp<NodeResult> =
    fun n ->
        task {
            n.Token.Register(fun () -> log "ncancel" []) |> ignore

            let! v, results =
                if spec.Early then
                    task {
                        // A nursery task, so that its failure cancels the spawns still in flight.
                        let own = n.Tasks.StartChild(fun ct -> behave spec log ct)
                        let! results = startAll journal log n spec.Children
                        let! v = own
                        return v, results
                    }
                else
                    task {
                        let! results = startAll journal log n spec.Children
                        let! v = behave spec log n.Token
                        return v, results
                    }

            let! values = Task.WhenAll results
            return { Name = spec.Name; Value = v; Children = List.ofArray values }
        }

/// Starts every child (concurrently) in nursery `n`; each task is that child's result, which is
/// journalled as `got` as soon as it arrives.
and startAll (journal: string) (log: Log) (n: ActorNursery) (children: NodeSpec list) : Task<Task<NodeResult>[]> =
    children |> List.map (startChild journal log n) |> Task.WhenAll

and private startChild (journal: string) (log: Log) (n: ActorNursery) (c: NodeSpec) : Task<Task<NodeResult>> =
    task {
        match c.Spawn with
        | InActor ->
            let! p = (runInActor (c.Name, runNode journal c)) n
            log "spawned" [ c.Name; string p.Pid ]
            let result = p.Result()

            let collected =
                n.Tasks.StartChild(fun _ ->
                    task {
                        let! r = result
                        log "got" [ c.Name; string r.Value ]
                        return r
                    })

            killLater log n c p.Pid result
            return collected
        | Daemon ->
            let! d = (startActor (c.Name, [ moduleName ])) n
            log "spawned" [ c.Name; string d.Pid ]

            let collected =
                n.Tasks.StartChild(fun _ ->
                    task {
                        let! r = d.Run(fun () -> runNode journal c ())
                        log "got" [ c.Name; string r.Value ]
                        let! _ = d.CancelActor()
                        return r
                    })

            killLater log n c d.Pid collected
            return collected
    }

/// For a child told to be killed: SIGKILL its process after the delay, whatever it is doing,
/// unless the nursery was cancelled or the child finished first.
and private killLater (log: Log) (n: ActorNursery) (c: NodeSpec) (pid: int) (running: Task) =
    match c.KillAfterMs with
    | Some delay ->
        n.Tasks.StartSoon(fun (ct: CancellationToken) ->
            task {
                do! Task.Delay(delay, ct)

                if not running.IsCompleted then
                    log "kill" [ c.Name ]
                    Native.kill (pid, 9) |> ignore
            })
    | None -> ()

/// What the root (the test process) saw.
type RootRun =
    { /// The root nursery's values, or what it raised.
      Outcome: Result<NodeResult list, exn>
      /// Monotonic ticks: when the root started, when its nursery began cancelling, when it exited.
      StartedAt: int64
      CancelledAt: int64 option
      ExitedAt: int64 }

/// Runs a named tree under a root nursery in this process (journal name "root"). With
/// `cancelAfterMs`, the test cancels the root nursery that long after it opened (for trees that
/// cannot end on their own), unless the tree ended first.
let runRoot (journal: string) (top: NodeSpec list) (cancelAfterMs: int option) : Task<RootRun> =
    let log = Journal.write journal "root"

    task {
        let started = Stopwatch.GetTimestamp()
        let mutable cancelledAt = None

        let body (n: ActorNursery) =
            task {
                log "open" []

                n.Token.Register(fun () ->
                    cancelledAt <- Some(Stopwatch.GetTimestamp())
                    log "ncancel" [])
                |> ignore

                let finished = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

                match cancelAfterMs with
                | Some ms ->
                    n.Tasks.StartSoon(fun (ct: CancellationToken) ->
                        task {
                            let! _ = Task.WhenAny(Task.Delay(ms, ct), finished.Task)

                            if not ct.IsCancellationRequested && not finished.Task.IsCompleted then
                                log "external-cancel" []
                                n.Cancel()
                        })
                | None -> ()

                try
                    let! results = startAll journal log n top
                    let! values = Task.WhenAll results
                    return List.ofArray values
                finally
                    finished.TrySetResult() |> ignore
            }

        let! outcome =
            task {
                try
                    let! values = nursery.Run body
                    return Ok values
                with e ->
                    return Error e
            }

        return
            { Outcome = outcome
              StartedAt = started
              CancelledAt = cancelledAt
              ExitedAt = Stopwatch.GetTimestamp() }
    }

/// Exits the process abruptly after `delayMs` (for the regression tests).
let exitAfter (delayMs: int) () : Task<int> =
    task {
        do! Task.Delay delayMs
        Environment.Exit 3
        return 0
    }
