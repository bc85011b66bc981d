namespace TractorNet.Supervision

open System
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Runtime

/// One process of a supervised child, and how it ended (`Exit`: never faults).
[<AllowNullLiteral>]
type internal Incarnation(child: ChildActor, exit: Task<struct (ExitReason * exn)>) =
    member _.Child = child
    member _.Exit = exit
    /// Set by the supervisor's loop when it stops this process itself: its exit is then not news.
    member val StoppedBySupervisor = false with get, set

/// What a supervised child runs: a daemon serving its portal, or a function whose call the
/// supervisor makes (again) on each new process.
[<NoComparison; NoEquality>]
type internal ChildWork =
    | Daemon
    /// Calls the function through the portal and sets the child's result when it returns.
    | Function of call: (Portal -> CancellationToken -> Task) * settle: (ExitReason -> exn -> unit)

/// A child of a supervisor: its spec, its handle (one portal for every incarnation), its state.
/// Mutable state is the supervisor loop's alone.
type internal SupervisedChild
    (name: string, modules: string list, logLevel: LogLevel, restart: RestartType, work: ChildWork, makePortal: ChildActor -> Portal) =
    let mutable portal: Portal = Unchecked.defaultof<_>

    member _.Name = name
    member _.Modules = modules
    member _.LogLevel = logLevel
    member _.Restart = restart
    member val Position = -1 with get, set
    /// The running process, or null (between an exit and a restart, or for good).
    member val Current: Incarnation = null with get, set
    /// Ended for good: it will not be restarted.
    member val Done = false with get, set
    member val Restarts = 0 with get, set
    /// Registered by name in the registry on each new process (a discoverable daemon).
    member val Discoverable = false with get, set

    /// The portal, made with the first process and re-pointed at each restart.
    member _.Portal = portal

    /// Points the handle at a new process (the first one makes the portal) and starts watching it.
    member _.Attach(child: ChildActor, ct: CancellationToken) : Incarnation =
        if isNull (box portal) then portal <- makePortal child else portal.Repoint child

        let exit =
            match work with
            | Daemon -> SupervisedChild.WatchDaemon child
            | Function(call, _) -> SupervisedChild.WatchCall(child, call portal ct)

        Incarnation(child, exit)

    /// The child has ended for good: calls through its portal fail, its result is settled.
    member _.Retire(reason: ExitReason, error: exn) =
        let why: exn =
            match reason with
            | ExitReason.Failed when not (isNull error) -> error
            | ExitReason.Normal -> InvalidOperationException $"supervised actor '{name}' ended normally and is not restarted ({restart})"
            | ExitReason.Shutdown -> OperationCanceledException $"supervised actor '{name}' was stopped by its supervisor"
            | _ -> InvalidOperationException $"supervised actor '{name}' was stopped"

        if not (isNull (box portal)) then
            portal.Retire why

        match work with
        | Function(_, settle) -> settle reason why
        | Daemon -> ()

    /// A daemon's end: asked to stop through its portal, or its process gone (status 0: normal).
    static member private WatchDaemon(child: ChildActor) : Task<struct (ExitReason * exn)> =
        task {
            let! _ = Task.WhenAny(child.CancelRequested, child.Peer.Closed)

            if child.CancelRequested.IsCompleted then
                return struct (ExitReason.Stopped, null)
            else
                // Its exit status says normal or failed: give a loaded machine time to report it
                // (DeathError alone waits 2 s, then calls the death a broken connection).
                let! _ = Task.WhenAny(child.Process.Exited, Task.Delay(TimeSpan.FromSeconds 10.0))
                let! death = child.DeathError(TransportClosedError(string child.Id, "the connection closed"))

                match death with
                | :? ActorDiedError as d when d.ExitCode = 0 -> return struct (ExitReason.Normal, null)
                | d -> return struct (ExitReason.Failed, d)
        }

    /// A function's end: its call returned (normal) or raised (failed), unless it was asked to stop.
    static member private WatchCall(child: ChildActor, running: Task) : Task<struct (ExitReason * exn)> =
        task {
            try
                do! running
                return struct (ExitReason.Normal, null)
            with e ->
                if child.CancelRequested.IsCompleted then
                    return struct (ExitReason.Stopped, null)
                else
                    return struct (ExitReason.Failed, e)
        }
