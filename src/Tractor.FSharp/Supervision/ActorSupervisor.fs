namespace TractorNet

open System
open System.Runtime.CompilerServices
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks
open TractorNet.Runtime
open TractorNet.Spawning
open TractorNet.Supervision

/// <summary>
/// A supervisor gave up on children that kept ending normally (a permanent function that returns, restarted
/// until the restart intensity was exceeded): there was no error to escalate, so this is raised instead.
/// </summary>
type RestartIntensityError(message: string) =
    inherit Exception(message)

/// What the body and the watchers ask of the supervisor's loop.
[<NoComparison; NoEquality>]
type internal SupervisorCommand =
    | Add of SupervisedChild * TaskCompletionSource
    | Exited of SupervisedChild * Incarnation * ExitReason * exn
    | StartFailed of SupervisedChild * exn
    | BodyEnded

/// <summary>
/// A supervisor (Erlang/OTP's, under structured concurrency): an actor nursery whose supervised children are
/// restarted by policy (<see cref="T:TractorNet.SupervisorOptions"/>). Children start in order and stop in reverse
/// order; a restarted child's portal follows its new process. When the restart intensity is exceeded the supervisor
/// stops every child and raises the last error to the enclosing nursery, as an ordinary error. Cancelling it cancels
/// and reaps every child and restarts none. Open one with <c>supervisor { }</c> (F#) or
/// <c>Tractor.OpenSupervisor</c> (C#); every event goes to the log and to <see cref="P:TractorNet.ActorSupervisor.Events"/>.
/// </summary>
[<Sealed>]
type ActorSupervisor internal (nursery: ActorNursery, options: SupervisorOptions) =
    static let attached = ConditionalWeakTable<ActorNursery, ActorSupervisor>()

    let rt = ActorRuntime.Current
    let events = EventStream()
    let commands = Channel.CreateUnbounded<SupervisorCommand>(UnboundedChannelOptions(SingleReader = true))
    let intensity = RestartIntensity options
    let random = Random()
    // The loop's alone, like every SupervisedChild's state.
    let children = Collections.Generic.List<SupervisedChild>()
    let mutable bodyEnded = false

    let publish kind (c: SupervisedChild) (inc: Incarnation) reason (error: exn) =
        events.Publish(SupervisorEvent(kind, c.Name, c.Position, inc.Child.Id, inc.Child.Pid, reason, error, c.Restarts))

    let post (command: SupervisorCommand) =
        if not (commands.Writer.TryWrite command) then
            match command with
            | Add(_, started) -> started.TrySetException(InvalidOperationException "the supervisor has ended: it cannot start children any more") |> ignore
            | _ -> ()

    /// Starts a process for `c` and watches it; its end comes back to the loop as a command.
    let start (c: SupervisedChild) (ct: CancellationToken) : Task =
        task {
            let! child = ChildActor.Spawn(rt, nursery.Spawner, c.Name, c.Modules, c.LogLevel, ct)
            // A discoverable daemon registers each new process under its name before it counts as
            // started (through a portal of its own: the handle's may be waiting for this restart).
            if c.Discoverable then
                do! DiscoveryCore.publishSpawned (Portal(child, rt.Codec)) ct

            let inc = c.Attach(child, ct)
            c.Current <- inc

            inc.Exit.ContinueWith(fun (t: Task<struct (ExitReason * exn)>) ->
                let struct (reason, error) = t.Result
                post (Exited(c, inc, reason, error)))
            |> ignore
        }

    /// Stops a running child (the cancel ladder) because the supervisor says so.
    let stop (c: SupervisedChild) : Task =
        task {
            let inc = c.Current

            if not (isNull inc) then
                inc.StoppedBySupervisor <- true
                c.Portal.Suspend()
                c.Current <- null
                do! inc.Child.Reap()
                publish SupervisorEventKind.Exited c inc ExitReason.Shutdown null
        }

    let running () =
        [ for c in children do
              if not (isNull c.Current) then
                  c.Position ]

    /// The restart after `c` ended abnormally or by a policy that restarts it: the strategy's group
    /// is stopped (in reverse order), then restarted (in start order) after the backoff.
    let restart (c: SupervisedChild) (error: exn) (ct: CancellationToken) : Task =
        task {
            if not (intensity.TryRestart()) then
                let escalated =
                    if isNull error then
                        RestartIntensityError $"supervised actor '{c.Name}' was restarted more than {options.MaxRestarts} times within {options.Within}: the supervisor gives up"
                        :> exn
                    else
                        error

                raise (SupervisorEscalation escalated)

            let group = Strategies.affected options.Strategy c.Position (running ())

            for p in List.rev group do
                if p <> c.Position then
                    let s = children[p]
                    do! stop s

                    if s.Restart = RestartType.Temporary then
                        s.Done <- true
                        s.Retire(ExitReason.Shutdown, null)

            let delay = Backoff.delay options intensity.Recent (random.NextDouble())

            if delay > TimeSpan.Zero then
                do! Task.Delay(delay, ct)

            for p in group do
                let s = children[p]

                if not s.Done && isNull s.Current then
                    s.Restarts <- s.Restarts + 1

                    try
                        do! start s ct
                        publish SupervisorEventKind.Restarted s s.Current ExitReason.None null
                    with e when not ct.IsCancellationRequested ->
                        // A replacement that could not start is one more failure of the child.
                        LayerLog.Warn $"supervisor: child '{s.Name}' could not be restarted: {e.Message}"
                        post (StartFailed(s, e))
        }

    /// A child's process ended (not by our own stop): reap it, then restart or retire it.
    let exited (c: SupervisedChild) (inc: Incarnation) (reason: ExitReason) (error: exn) (ct: CancellationToken) : Task =
        task {
            c.Current <- null
            c.Portal.Suspend()
            do! inc.Child.Reap()
            publish SupervisorEventKind.Exited c inc reason error

            if reason = ExitReason.Stopped || not (Strategies.restarts c.Restart (reason = ExitReason.Failed)) then
                c.Done <- true
                c.Retire(reason, error)
            else
                do! restart c error ct
        }

    /// Stops every running child in reverse start order and retires every handle.
    let shutdown (failure: exn) : Task =
        task {
            commands.Writer.TryComplete() |> ignore

            for i in children.Count - 1 .. -1 .. 0 do
                let c = children[i]

                try
                    do! stop c
                with e ->
                    LayerLog.Warn $"supervisor: stopping child '{c.Name}' failed: {e.Message}"

                if not c.Done then
                    c.Done <- true
                    if isNull failure then c.Retire(ExitReason.Shutdown, null) else c.Retire(ExitReason.Failed, failure)

            // Children the body asked for that never started.
            let mutable command = Unchecked.defaultof<_>

            while commands.Reader.TryRead(&command) do
                match command with
                | Add(c, started) ->
                    c.Retire(ExitReason.Shutdown, null)
                    started.TrySetCanceled() |> ignore
                | Exited(_, inc, _, _) -> do! inc.Child.Reap()
                | _ -> ()
        }

    let loop (ct: CancellationToken) : Task =
        task {
            let mutable failure: ExceptionDispatchInfo = null
            let mutable escalated = false

            try
                while not (bodyEnded && children.TrueForAll(fun c -> c.Done)) do
                    match! commands.Reader.ReadAsync(ct) with
                    | Add(c, started) ->
                        c.Position <- children.Count

                        try
                            do! start c ct
                            children.Add c
                            publish SupervisorEventKind.Started c c.Current ExitReason.None null
                            started.TrySetResult() |> ignore
                        with e ->
                            started.TrySetException e |> ignore
                    | Exited(c, inc, reason, error) ->
                        if obj.ReferenceEquals(c.Current, inc) && not inc.StoppedBySupervisor then
                            do! exited c inc reason error ct
                        else
                            do! inc.Child.Reap() // already dealt with (a sibling's restart stopped it)
                    | StartFailed(c, error) ->
                        if not c.Done && isNull c.Current then
                            do! restart c error ct
                    | BodyEnded -> bodyEnded <- true
            with
            | :? OperationCanceledException when ct.IsCancellationRequested -> ()
            | SupervisorEscalation e ->
                escalated <- true
                failure <- ExceptionDispatchInfo.Capture e
            | e -> failure <- ExceptionDispatchInfo.Capture e

            do! shutdown (if isNull failure then null else failure.SourceException)

            if escalated then
                events.Publish(
                    SupervisorEvent(SupervisorEventKind.Escalated, null, -1, Unchecked.defaultof<_>, 0, ExitReason.None, failure.SourceException, intensity.Recent)
                )

            events.Complete()

            if not (isNull failure) then
                failure.Throw()
        }

    /// <summary>The nursery the supervisor runs in: its token, its cancellation, unsupervised actors beside the
    /// supervised ones.</summary>
    member _.Nursery = nursery

    /// <summary>The policy (a copy taken when the supervisor opened).</summary>
    member _.Options = options

    /// <summary>Every event of this supervisor, in order: children started, exited (and why), restarted; the
    /// escalation. Completes when the supervisor ends. Subscribers run on the supervisor's loop: keep them short.</summary>
    member _.Events: IObservable<SupervisorEvent> = events

    /// <summary>Cancels the supervisor: every child is stopped (in reverse start order) and reaped, none is
    /// restarted. The cancellation is absorbed when the supervisor ends.</summary>
    member _.Cancel() = nursery.Cancel()

    /// Adds a child: the loop starts it after the ones before; returns once it runs.
    member internal _.Add(c: SupervisedChild) : Task<Portal> =
        task {
            nursery.Token.ThrowIfCancellationRequested()
            let started = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
            post (Add(c, started))
            do! started.Task
            return c.Portal
        }

    /// <summary>
    /// Starts a supervised daemon actor, after the children started before it, and returns its portal once it runs.
    /// The portal follows the actor across restarts: a call made while it is being restarted waits for the new
    /// process; a call in flight when it died fails with its death (<see cref="T:TractorNet.ActorDiedError"/>).
    /// <c>CancelActor()</c> on the portal stops it for good.
    /// </summary>
    /// <param name="name">The actor's name (every incarnation has it).</param>
    /// <param name="enableModules">Assembly names, namespaces or module/type full names whose functions it may run.</param>
    /// <param name="restart">When it is restarted.</param>
    /// <param name="logLevel">Its log level.</param>
    member this.SuperviseActorAsync(name: string, enableModules: string seq, restart: RestartType, logLevel: LogLevel) : Task<Portal> =
        ModuleNames.check enableModules
        let c = SupervisedChild(name, List.ofSeq enableModules, logLevel, restart, Daemon, fun child -> Portal(child, rt.Codec))
        this.Add c

    /// <summary>
    /// Starts a supervised daemon actor like <see cref="M:TractorNet.ActorSupervisor.SuperviseActorAsync(System.String,System.Collections.Generic.IEnumerable{System.String},TractorNet.RestartType,TractorNet.LogLevel)"/>,
    /// discoverable by its name (as <c>startDiscoverableActor</c>): each new process registers before it counts as
    /// started, so <c>findActor</c> / <c>waitForActor</c> reach the current one after a restart.
    /// </summary>
    /// <param name="name">The actor's name (every incarnation registers under it).</param>
    /// <param name="enableModules">Assembly names, namespaces or module/type full names whose functions it may run.</param>
    /// <param name="restart">When it is restarted.</param>
    /// <param name="logLevel">Its log level.</param>
    member this.SuperviseDiscoverableActorAsync(name: string, enableModules: string seq, restart: RestartType, logLevel: LogLevel) : Task<Portal> =
        task {
            ModuleNames.check enableModules
            do! DiscoveryCore.ensureRoot ()
            let modules = DiscoveryCore.discoverableModules enableModules
            let c = SupervisedChild(name, modules, logLevel, restart, Daemon, (fun child -> Portal(child, rt.Codec)), Discoverable = true)
            return! this.Add c
        }

    /// Starts a supervised function in an actor: called again on each new process until it ends
    /// for good; the portal's `Result()` is the value of the call that returned (or the last error).
    member internal this.SuperviseRunAsync<'T>(call: PreparedCall, name: string, restart: RestartType, logLevel: LogLevel) : Task<Portal<'T>> =
        task {
            let arguments = Arguments.encode rt.Codec call
            let name = if String.IsNullOrEmpty name then call.Function.Method else name
            let result = TaskCompletionSource<'T>(TaskCreationOptions.RunContinuationsAsynchronously)

            let invoke (p: Portal) (ct: CancellationToken) : Task =
                task {
                    let! v = p.Invoke<'T>(call, arguments, ct)
                    result.TrySetResult v |> ignore
                }

            let settle (reason: ExitReason) (error: exn) =
                match reason with
                | ExitReason.Normal -> ()
                | ExitReason.Failed -> result.TrySetException error |> ignore
                | _ -> result.TrySetCanceled() |> ignore

            let work = Function(invoke, settle)
            let c = SupervisedChild(name, [ call.Function.DeclaringType ], logLevel, restart, work, fun child -> Portal<'T>(child, rt.Codec, result.Task))
            let! portal = this.Add c
            return portal :?> Portal<'T>
        }

    /// The supervisor a `supervisor { }` body runs in.
    static member internal Of(n: ActorNursery) : ActorSupervisor =
        match attached.TryGetValue n with
        | true, s -> s
        | _ -> invalidOp "this operation needs a supervisor: use it in a supervisor { } body (or Tractor.OpenSupervisor), not a nursery { }"

    /// Opens a supervisor in a new actor nursery, runs `body` and waits for every child: the
    /// supervisor's loop is a task of that nursery, so an escalation is the nursery's error.
    static member internal Open<'T>(options: SupervisorOptions, body: ActorNursery -> Task<'T>) : Task<'T> =
        let options = options.Snapshot()

        ActorNursery.Open(fun n ->
            task {
                let s = ActorSupervisor(n, options)
                attached.Add(n, s)
                n.Tasks.StartSoon(fun ct -> s.Loop ct)

                try
                    return! body n
                finally
                    s.EndBody()
            })

    member internal _.Loop(ct: CancellationToken) : Task = loop ct
    member internal _.EndBody() = post BodyEnded

    override _.ToString() = $"ActorSupervisor({nursery.Actor}, {options})"
