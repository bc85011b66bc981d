/// The node functions of the failure-tree fuzzer: each node of a tree runs in its own actor
/// (child actors load this test assembly through the test host's deps file), starts its children,
/// then does what its spec says. Every node keeps a journal of what it did, so a run can be
/// checked against what each node really did, not only against what the root saw.
module TractorNet.Tests.FailureTreeNodes

open System
open System.Collections.Generic
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
/// sent <i> (before sending item i to its parent) | recv <child> <item> (an item from a child) |
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

/// Sends one item to the node's parent (a streaming node's stream).
type private Outlet = string -> ValueTask

/// The item a streaming node sends `i`-th (from 1): tagged with its name, so that an item
/// delivered to the wrong stream shows.
let item (name: string) (i: int) = $"{name}:{i}"

/// The node's own part, once its children are up. `ct` is the cancellation it answers to;
/// `outlet` is its stream to its parent (streaming nodes only).
let private behave (spec: NodeSpec) (outlet: Outlet option) (log: Log) (ct: CancellationToken) : Task<int> =
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
        | Streams(_, count, delay, after) ->
            let send = outlet |> Option.defaultWith (fun () -> invalidOp $"'{spec.Name}' streams but has no stream")

            for i in 1..count do
                do! Task.Delay(delay, ct)
                log "sent" [ string i ]
                do! send (item spec.Name i)

            match after with
            | Finish -> return count
            | FailAfter ->
                log "raise" []
                return invalidOp $"{FailPrefix}{spec.Name}"
            | HangAfter ->
                do! Task.Delay(Timeout.Infinite, ct)
                return 0
    }

/// Runs one node: in a leaf, its behaviour; otherwise a nursery holding its children beside it.
let rec runNode (journal: string) (spec: NodeSpec) () : Task<NodeResult> = runNodeWith None journal spec

/// A streaming node run as a context function (its parent's `OpenContext`): it starts the
/// context, opens its stream, and runs as any node, sending its items on that stream.
and streamNode (ctx: Context<int>) (journal: string) (spec: NodeSpec) : Task<NodeResult> =
    task {
        do! ctx.Started 0
        use stream = ctx.OpenStream<string, int>()
        return! runNodeWith (Some stream.Send) journal spec
    }

/// A streaming leaf run as a one-way stream (its parent's `OpenStreamFrom`): a generator of its
/// items, then what its spec says (its parent counts the items as its value).
and streamLeaf (journal: string) (spec: NodeSpec) : IAsyncEnumerable<string> =
    let log = Journal.write journal spec.Name

    taskSeq {
        log "start" [ string Environment.ProcessId ]
        let ct = CancelScope.CurrentToken
        let registration = ct.Register(fun () -> log "cancel" [])

        try
            try
                match spec.Behaviour with
                | Streams(_, count, delay, after) ->
                    for i in 1..count do
                        do! Task.Delay(delay, ct)
                        log "sent" [ string i ]
                        yield item spec.Name i

                    match after with
                    | Finish -> log "return" [ string count ]
                    | FailAfter ->
                        log "raise" []
                        invalidOp $"{FailPrefix}{spec.Name}"
                    | HangAfter -> do! Task.Delay(Timeout.Infinite, ct)
                | b -> invalidOp $"'{spec.Name}' does not stream ({b})"
            with e ->
                log "fail" (leaves e |> List.map _.Key)
                raise e
        finally
            registration.Dispose()
    }

and private runNodeWith (outlet: Outlet option) (journal: string) (spec: NodeSpec) : Task<NodeResult> =
    let log = Journal.write journal spec.Name

    task {
        log "start" [ string Environment.ProcessId ]
        let ct = CancelScope.CurrentToken
        use _ = ct.Register(fun () -> log "cancel" [])

        try
            let! result =
                if spec.Children.IsEmpty then
                    task {
                        let! v = behave spec outlet log ct
                        return { Name = spec.Name; Value = v; Children = [] }
                    }
                else
                    nursery.Run(withChildren journal spec outlet log)

            log "return" [ string result.Value ]
            return result
        with e ->
            log "fail" (leaves e |> List.map _.Key)
            return raise e
    }

/// The nursery body of a node with children: start them all, do the node's part, collect.
and private withChildren (journal: string) (spec: NodeSpec) (outlet: Outlet option) (log: Log) : NurseryOp<NodeResult> =
    fun n ->
        task {
            n.Token.Register(fun () -> log "ncancel" []) |> ignore

            let! v, results =
                if spec.Early then
                    task {
                        // A nursery task, so that its failure cancels the spawns still in flight.
                        let own = n.Tasks.StartChild(fun ct -> behave spec outlet log ct)
                        let! results = startAll journal log n spec.Children
                        let! v = own
                        return v, results
                    }
                else
                    task {
                        let! results = startAll journal log n spec.Children
                        let! v = behave spec outlet log n.Token
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
        match c.Behaviour, c.Spawn with
        | Streams(via, _, _, _), _ ->
            // A daemon its parent calls into: a context or a one-way stream, every item journalled.
            let! d = (startActor (c.Name, [ moduleName ])) n
            log "spawned" [ c.Name; string d.Pid ]
            let recv (x: string) = log "recv" [ c.Name; x ]

            let collected =
                n.Tasks.StartChild(fun _ ->
                    task {
                        let streamed =
                            match via with
                            | ViaContext ->
                                task {
                                    let! ctx, _ = d.OpenContext(streamNode, journal, c)
                                    use _ = ctx
                                    use stream = ctx.OpenStream<int, string>()

                                    for x in stream do
                                        recv x

                                    log "end" [ c.Name ]
                                    return! ctx.Result()
                                }
                            | OneWay ->
                                task {
                                    let mutable received = 0

                                    for x in d.OpenStreamFrom(fun () -> streamLeaf journal c) do
                                        recv x
                                        received <- received + 1

                                    log "end" [ c.Name ]
                                    return { Name = c.Name; Value = received; Children = [] }
                                }

                        let! r = waitFor log c.Name streamed
                        log "got" [ c.Name; string r.Value ]
                        let! _ = d.CancelActor()
                        return r
                    })

            killLater log n c d.Pid collected
            return collected
        | _, InActor ->
            let! p = (runInActor (c.Name, runNode journal c)) n
            log "spawned" [ c.Name; string p.Pid ]
            let result = p.Result()

            let collected =
                n.Tasks.StartChild(fun _ ->
                    task {
                        let! r = waitFor log c.Name result
                        log "got" [ c.Name; string r.Value ]
                        return r
                    })

            killLater log n c p.Pid result
            return collected
        | _, Daemon ->
            let! d = (startActor (c.Name, [ moduleName ])) n
            log "spawned" [ c.Name; string d.Pid ]

            let collected =
                n.Tasks.StartChild(fun _ ->
                    task {
                        let! r = waitFor log c.Name (d.Run(fun () -> runNode journal c ()))
                        log "got" [ c.Name; string r.Value ]
                        let! _ = d.CancelActor()
                        return r
                    })

            killLater log n c d.Pid collected
            return collected
    }

/// Waits for a child's value, journalling `lost` with the error if the wait fails (a value on
/// its way when the parent is cancelled is dropped: `lost <child> C`).
and private waitFor (log: Log) (child: string) (value: Task<NodeResult>) : Task<NodeResult> =
    task {
        try
            return! value
        with e ->
            log "lost" (child :: (leaves e |> List.map _.Key))
            return raise e
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

/// A context that starts, sends one item, then exits its process abruptly after `delayMs`
/// (for the regression tests).
let exitInContext (ctx: Context<int>) (delayMs: int) : Task<int> =
    task {
        do! ctx.Started 0
        use stream = ctx.OpenStream<int, int>()
        do! stream.Send 1
        do! Task.Delay delayMs
        Environment.Exit 3
        return 0
    }

/// A context that exits its process abruptly after `delayMs`, before it started.
let exitBeforeStarted (ctx: Context<int>) (delayMs: int) : Task<int> =
    task {
        do! Task.Delay delayMs
        Environment.Exit 3
        return 0
    }

/// A one-way stream that yields one item, then exits its process abruptly after `delayMs`.
let exitInStream (delayMs: int) : IAsyncEnumerable<int> =
    taskSeq {
        yield 1
        do! Task.Delay delayMs
        Environment.Exit 3
    }
