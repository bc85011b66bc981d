namespace TractorNet.Runtime

open System
open System.Threading
open System.Threading.Tasks
open System.Runtime.ExceptionServices
open TractorNet
open TractorNet.Ipc
open TractorNet.Spawning

/// A child actor, seen from its parent: the OS process, the channel (our end of the socket pair
/// the child inherited), and the cancel ladder.
type internal ChildActor private (rt: ActorRuntime, id: ActorId, proc: ChildProcess, channel: Channel) =
    let acknowledged = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    let cancelRequested = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    let mutable reaped: Task = null
    let mutable death: exn = null

    let link = ChannelLink(channel, rt.Serializer) :> IMessageLink

    let onControl (msg: Message) =
        match msg with
        | CancelActorAck -> acknowledged.TrySetResult() |> ignore
        | LogRecords(records, dropped) -> LogForwarder.Relay(id, records, dropped)
        | Debug(route, payload) when not (isNull DebugHooks.Current) -> DebugHooks.Current.FromChild(id, link.Send, route, payload)
        | other -> LayerLog.Warn $"unexpected message from child '{id}': {other}"

    // Made at once, so calls can be sent before the child is ready (they wait in the socket);
    // its receive loop starts once the child has reported ready.
    let peer = Peer(link, rt.Id, rt.Codec, (fun () -> rt.EnabledModules :> _), rt.Token, onControl)

    let sendCancel () : Task =
        task {
            try
                do! peer.Send CancelActor
            with _ ->
                ()
        }

    // The kernel closes a dead child's end of the pair, so our end reads end-of-file. Unless a
    // copy leaked into a process the application started at the very moment of our spawn: then
    // the exit itself ends the channel, after a moment for the frames already sent to be read.
    do
        // Debug mode: whatever the child's subtree held of the terminal lock is released.
        if not (isNull DebugHooks.Current) then
            let gone = fun (_: Task) -> match DebugHooks.Current with null -> () | hooks -> hooks.ChildGone id
            proc.Exited.ContinueWith gone |> ignore
            peer.Closed.ContinueWith gone |> ignore

        proc.Exited.ContinueWith(fun (_: Task) ->
            Task.Delay(500).ContinueWith(fun (_: Task) ->
                channel.Abort(TransportClosedException $"actor '{id}' (pid {proc.Pid}) exited")))
        |> ignore

    /// How long a child may take to start and report ready.
    static member val StartTimeout = TimeSpan.FromSeconds 30.0 with get, set

    member _.Id = id
    member _.Pid = proc.Pid
    member _.Peer = peer
    member _.Process = proc
    /// Completes when someone asked this actor to cancel (Portal.CancelActor).
    member _.CancelRequested: Task = cancelRequested.Task

    /// Asks the actor to cancel and exit; true if it acknowledged (or exited) within the
    /// graceful bound. The reaper finishes the job either way.
    member _.RequestCancel() : Task<bool> =
        task {
            cancelRequested.TrySetResult() |> ignore
            do! sendCancel ()
            let! _ = Task.WhenAny(acknowledged.Task, proc.Exited, Task.Delay rt.Ladder.Graceful)
            return acknowledged.Task.IsCompleted || proc.HasExited
        }

    /// The error for this actor's unasked death: the one shared ActorDiedError once the process
    /// has exited (waiting a little for the kernel to report it), else `cause` itself.
    member _.DeathError(cause: exn) : Task<exn> =
        task {
            let! _ = Task.WhenAny(proc.Exited, Task.Delay 2000)

            if proc.HasExited then
                return
                    lock acknowledged (fun () ->
                        if isNull death then
                            death <- ActorDiedError(id, proc.ExitCode, cause)

                        death)
            else
                return cause
        }

    /// Walks the cancel ladder until the process is gone, then releases the connection.
    /// Idempotent: every caller gets the same reaping.
    member _.Reap() : Task =
        lock acknowledged (fun () ->
            if isNull reaped then
                reaped <-
                    task {
                        try
                            // Debug mode: never escalate while the child's subtree holds the terminal lock.
                            let hold () =
                                match DebugHooks.Current with
                                | null -> Task.CompletedTask
                                | hooks -> hooks.UntilReleased id

                            let! outcome = Reaper.reap rt.Ladder sendCancel hold proc

                            if outcome <> Exited then
                                LayerLog.Warn $"actor '{id}' (pid {proc.Pid}) needed {outcome} to exit"
                        finally
                            rt.Untrack proc
                            (proc :> IDisposable).Dispose()
                            channel.DisposeAsync() |> ignore
                    }

            reaped)

    /// Waits for the child to report ready (or to die, or time out), then starts serving the
    /// connection. Any failure kills and reaps the process, fails the calls already sent, and
    /// raises ActorSpawnError (or the cancellation).
    member this.WhenReady(ct: CancellationToken) : Task =
        task {
            try
                use timeout = CancellationTokenSource.CreateLinkedTokenSource ct
                timeout.CancelAfter ChildActor.StartTimeout
                let never = Task.Delay(Timeout.Infinite, timeout.Token)
                let ready = link.Receive(timeout.Token).AsTask()
                let! first = Task.WhenAny(ready, proc.Exited, never)

                if not (obj.ReferenceEquals(first, ready)) || ready.Status <> TaskStatus.RanToCompletion || ready.Result <> ValueSome Ready then
                    ct.ThrowIfCancellationRequested()

                    if proc.HasExited || ready.IsCompleted then
                        let! _ = Task.WhenAny(proc.Exited, Task.Delay 2000)
                        let how = if proc.HasExited then $"exited with code {proc.ExitCode}" else "closed its channel"
                        let what = if proc.Pooled then "a warm pool's process, handed out" else "a new process"
                        raise (ActorSpawnError $"actor '{id.Name}' (pid {proc.Pid}, {what}) {how} before it was ready")
                    else
                        raise (ActorSpawnError $"actor '{id.Name}' (pid {proc.Pid}) was not ready within {ChildActor.StartTimeout}")

                SpawnTrace.mark "parent.ready"
                peer.Start()
            with e ->
                peer.Abort $"actor '{id.Name}' did not start: {e.Message}"
                proc.Signal Native.SIGKILL |> ignore
                do! this.Reap()
                return raise e
        }

    /// Starts a child actor process and sends it its spawn spec (which waits in the socket until
    /// the child reads it), without waiting for it: calls can be sent at once, and `WhenReady`
    /// waits for it to report ready. A failure to start the process raises at once.
    static member Launch(rt: ActorRuntime, spawner: ISpawner, name: string, enabledModules: string list, logLevel: LogLevel) : Task<ChildActor> =
        // The spawn's span (when anyone listens): starting the process and handing it its spec.
        Tracing.traced $"spawn {name}" (fun () -> ChildActor.LaunchCore(rt, spawner, name, enabledModules, logLevel))

    static member private LaunchCore(rt: ActorRuntime, spawner: ISpawner, name: string, enabledModules: string list, logLevel: LogLevel) : Task<ChildActor> =
        task {
            SpawnTrace.mark "parent.spawn"
            let id = ActorId.New name

            let request =
                { Name = name
                  Uid = id.Uid
                  Secret = Convert.ToBase64String rt.Secret
                  // The root's children lead a process group each, which their descendants
                  // share: see ChildProcess (a child still starting when its parent dies).
                  LeadsGroup = rt.Parent.IsNone
                  ChannelOptions = rt.ChannelOptions }

            let! started =
                task {
                    try
                        return! spawner.Start request
                    with :? WarmPoolException as e ->
                        return raise (ActorSpawnError $"actor '{name}' did not start: {e.Message}")
                }

            let proc, channel = started.Process, started.Channel
            rt.Track proc

            match DebugHooks.Current with
            | null -> ()
            | hooks -> hooks.ChildStarted(id, proc.Pid)

            channel.SetPeer { Name = id.Name; Uid = id.Uid; Pid = proc.Pid }
            let child = new ChildActor(rt, id, proc, channel)

            let spec =
                { Actor = id
                  Parent = rt.Id
                  EnabledModules = enabledModules
                  LogLevel = int logLevel
                  GracefulMs = int rt.Ladder.Graceful.TotalMilliseconds
                  TerminateMs = int rt.Ladder.Terminate.TotalMilliseconds
                  LogToParent = Log.forwardsChildren ()
                  DebugMode = not (isNull DebugHooks.Current) }

            // The child is still starting .NET: the spec waits in the socket, read without a round trip.
            let! failure =
                task {
                    try
                        do! child.Peer.Send(Spawn spec)
                        return null
                    with e ->
                        return ExceptionDispatchInfo.Capture e
                }

            if not (isNull failure) then
                proc.Signal Native.SIGKILL |> ignore
                do! child.Reap()
                let what = if proc.Pooled then "a warm pool's process, handed out" else "a new process"
                raise (ActorSpawnError $"actor '{name}' (pid {proc.Pid}, {what}) could not be sent its spawn spec: {failure.SourceException.Message}")

            return child
        }

    /// Starts a child actor process and waits until it is ready for calls. Any failure reaps the
    /// process before raising.
    static member Spawn(rt: ActorRuntime, spawner: ISpawner, name: string, enabledModules: string list, logLevel: LogLevel, ct: CancellationToken) : Task<ChildActor> =
        task {
            let! child = ChildActor.Launch(rt, spawner, name, enabledModules, logLevel)
            do! child.WhenReady ct
            return child
        }
