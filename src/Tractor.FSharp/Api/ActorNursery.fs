namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks
open System.Runtime.ExceptionServices
open TractorNet.Runtime
open TractorNet.Spawning

/// <summary>
/// An actor nursery: spawns child actors (each an OS process) and supervises them. It does
/// not end until every child has finished, failed or been cancelled and its process reaped.
/// The first error anywhere (the body, a <c>runInActor</c> child, an escaped portal call) cancels
/// everything in it at once. Open one with <c>nursery { }</c> (F#) or <c>Tractor.OpenNursery</c> (C#).
/// </summary>
[<Sealed>]
type ActorNursery internal (rt: ActorRuntime, tasks: TaskNursery, spawners: NurserySpawners, spawnMethod: SpawnMethod voption) =
    /// Runs `work` as a nursery child; whatever happens, the child's process is reaped before
    /// the nursery can end.
    let supervise (child: ChildActor) (work: CancellationToken -> Task) =
        try
            tasks.StartSoon(fun ct ->
                task {
                    let! failure =
                        task {
                            try
                                do! work ct
                                return null
                            with e ->
                                return ExceptionDispatchInfo.Capture e
                        }

                    do! child.Reap()

                    if not (isNull failure) then
                        failure.Throw()
                })
            |> ignore
        with _ ->
            // The nursery closed under us: never leave the process behind.
            child.Reap().Wait()
            reraise ()

    let whenCancelled = lazy (Task.Delay(Timeout.Infinite, tasks.Token))

    internal new(rt: ActorRuntime, tasks: TaskNursery) = ActorNursery(rt, tasks, NurserySpawners rt, ValueNone)

    /// <summary>
    /// How this nursery starts child actors: <see cref="F:TractorNet.SpawnMethod.NewProcess"/> by default (or what the
    /// environment variable <c>TRACTOR_SPAWN_METHOD</c> says). Setting <see cref="F:TractorNet.SpawnMethod.WarmPool"/>
    /// starts filling the nursery's warm pool at once. On a view made by <see cref="M:TractorNet.ActorNursery.WithSpawnMethod(TractorNet.SpawnMethod)"/>
    /// it reads the view's method; setting it sets the nursery's.
    /// </summary>
    member _.SpawnMethod
        with get () =
            match spawnMethod with
            | ValueSome m -> m
            | ValueNone -> spawners.Method
        and set (m: SpawnMethod) = spawners.Method <- m

    /// <summary>
    /// How many idle, pre-started processes this nursery's warm pool keeps (default 2, or <c>TRACTOR_POOL_SIZE</c>).
    /// Set it before the pool starts (when opening the nursery, before choosing <see cref="F:TractorNet.SpawnMethod.WarmPool"/>).
    /// </summary>
    /// <exception cref="T:System.ArgumentOutOfRangeException">The size is negative.</exception>
    /// <exception cref="T:System.InvalidOperationException">The pool has already started with another size.</exception>
    member _.PoolSize
        with get () = spawners.PoolSize
        and set (n: int) = spawners.PoolSize <- n

    /// <summary>
    /// This nursery, starting its actors with <paramref name="spawnMethod"/> instead of its own method (a per-actor
    /// choice): <c>n.WithSpawnMethod(SpawnMethod.WarmPool).StartActorAsync(...)</c>. The view shares everything else
    /// with the nursery, its warm pool included.
    /// </summary>
    member _.WithSpawnMethod(spawnMethod: SpawnMethod) : ActorNursery =
        if not (Enum.IsDefined spawnMethod) then
            invalidArg (nameof spawnMethod) $"unknown spawn method {spawnMethod}"

        ActorNursery(rt, tasks, spawners, ValueSome spawnMethod)

    /// <summary>
    /// Starts this nursery's warm pool if it has not started, and completes once <see cref="P:TractorNet.ActorNursery.PoolSize"/>
    /// processes are warm (started, code loaded, waiting for an actor): the next spawns from the pool are warm.
    /// </summary>
    member _.FillPoolAsync() : Task = spawners.Pool.WhenWarm().WaitAsync tasks.Token

    /// The spawner for this nursery's (or view's) method.
    member internal this.Spawner = spawners.For this.SpawnMethod

    /// The spawn methods and warm pool shared with this nursery's views.
    member internal _.Spawners = spawners

    /// <summary>The actor this nursery belongs to (the current process's actor).</summary>
    member _.Actor = rt.Id
    /// <summary>Cancelled when the nursery is cancelled.</summary>
    member _.Token = tasks.Token

    /// Completes (as cancelled) when the nursery is cancelled.
    member internal _.WhenCancelled: Task = whenCancelled.Force()
    /// <summary>Cancels the nursery: the body and every child actor (by the cancel ladder).</summary>
    member _.Cancel() = tasks.Cancel()
    /// <summary>The underlying task nursery, to start local tasks beside the actors.</summary>
    member _.Tasks = tasks

    /// Waits for the real end of `t`, an operation awaited in the nursery whose wait its
    /// cancellation cut short, so that nothing the body started outlives the nursery. The
    /// runtime's own operations (calls, contexts, results) end within the cancel ladder, whose
    /// last step kills the actor at the other end; a foreign task that ignores cancellation is
    /// given as long, then left running (logged).
    member internal _.AwaitCutShort(t: Task) : Task =
        if t.IsCompleted then
            Task.CompletedTask
        else
            task {
                // The ladder's two waits, plus the time to see a killed process gone (ChildActor.DeathError).
                let bound = rt.Ladder.Graceful + rt.Ladder.Terminate + TimeSpan.FromSeconds 2.0
                let! _ = Task.WhenAny(t, Task.Delay bound)

                if t.IsCompleted then
                    t.Exception |> ignore // its end is the cancellation's; an error it ended with is not news
                else
                    LayerLog.Warn $"a task awaited in a cancelled nursery of actor '{rt.Id}' ignored the cancellation for {bound}: the nursery returns without it"
            }

    /// <summary>
    /// Starts a daemon actor that serves <c>portal.Run</c> calls of functions in <paramref name="enableModules"/>
    /// (assembly names, namespaces, or module/type full names) until it is cancelled
    /// (<c>portal.CancelActor()</c> or the nursery's cancellation). The nursery waits for it.
    /// </summary>
    member this.StartActorAsync(name: string, enableModules: string seq, logLevel: LogLevel) : Task<Portal> =
        task {
            tasks.Token.ThrowIfCancellationRequested()
            ModuleNames.check enableModules
            let! child = ChildActor.Spawn(rt, this.Spawner, name, List.ofSeq enableModules, logLevel, tasks.Token)

            supervise child (fun ct ->
                task {
                    let cancelled = Task.Delay(Timeout.Infinite, ct)
                    let! first = Task.WhenAny(child.CancelRequested, child.Peer.Closed, cancelled)

                    if obj.ReferenceEquals(first, child.Peer.Closed) && not child.CancelRequested.IsCompleted then
                        let! death = child.DeathError(TransportClosedError(string child.Id, "the connection closed"))
                        raise death
                })

            return Portal(child, rt.Codec)
        }

    /// Runs a prepared function in a new actor; the portal's `Result()` is its value. The nursery
    /// waits for the result, and a failure cancels the nursery.
    member internal this.RunInActorAsync<'T>(call: PreparedCall, name: string, logLevel: LogLevel) : Task<Portal<'T>> =
        task {
            tasks.Token.ThrowIfCancellationRequested()
            let arguments = Arguments.encode rt.Codec call
            let name = if String.IsNullOrEmpty name then call.Function.Method else name
            let! child = ChildActor.Launch(rt, this.Spawner, name, [ call.Function.DeclaringType ], logLevel)
            let result = TaskCompletionSource<'T>(TaskCreationOptions.RunContinuationsAsynchronously)
            let portal = Portal<'T>(child, rt.Codec, result.Task)
            // The call goes out right behind the spawn spec: the child finds it waiting as soon as
            // it serves, instead of a round trip to us after it reports ready. (The nursery's
            // token is the one its children get.)
            let running = portal.Invoke<'T>(call, arguments, tasks.Token)

            let! notReady =
                task {
                    try
                        do! child.WhenReady tasks.Token
                        return null
                    with e ->
                        return ExceptionDispatchInfo.Capture e
                }

            if not (isNull notReady) then
                running.ContinueWith(fun (t: Task<'T>) -> t.Exception |> ignore) |> ignore // the spawn's own error says it
                notReady.Throw()

            supervise child (fun ct ->
                task {
                    let! _ = Task.WhenAny(running, Task.Delay(Timeout.Infinite, ct))

                    if not running.IsCompleted then
                        // Cancelled: walk the ladder now; the call ends when the actor answers
                        // the cancel or its process is gone.
                        child.Reap() |> ignore

                    try
                        let! v = running
                        result.TrySetResult v |> ignore
                    with
                    | :? OperationCanceledException as e when ct.IsCancellationRequested ->
                        result.TrySetCanceled ct |> ignore
                        raise e
                    | :? ActorDiedError as e ->
                        result.TrySetException e |> ignore
                        raise e
                    | e ->
                        result.TrySetException e |> ignore
                        raise e
                })

            return portal
        }

    /// Opens a nursery in the current actor (starting the root actor on first use), runs `body`
    /// and waits for every child actor.
    static member internal Open<'T>(body: ActorNursery -> Task<'T>) : Task<'T> = ActorNursery.Open(false, body)

    /// `Open`, turning on debug mode for the tree first when `debugMode` (or TRACTOR_DEBUG) asks
    /// at the root. In debug mode an error escaping the root's nursery opens the crash REPL here
    /// (a child's opens in Peer, where it escapes the actor's function).
    static member internal Open<'T>(debugMode: bool, body: ActorNursery -> Task<'T>) : Task<'T> = ActorNursery.Open(debugMode, ignore, body)

    /// `Open`, with `configure` applied to the nursery before the body runs (its spawn method
    /// and pool size). The nursery's warm pool, if it made one, is closed and every idle process
    /// reaped before this completes, whatever the outcome.
    static member internal Open<'T>(debugMode: bool, configure: ActorNursery -> unit, body: ActorNursery -> Task<'T>) : Task<'T> =
        task {
            Debugger.ensure debugMode
            let rt = ActorRuntime.Current
            let spawners = NurserySpawners rt
            let mutable result = Unchecked.defaultof<'T>

            let run (tn: TaskNursery) : Task =
                task {
                    let n = ActorNursery(rt, tn, spawners, ValueNone)
                    configure n
                    let! v = body n
                    result <- v
                }

            let! outcome =
                task {
                    try
                        try
                            let! t = TaskNursery.Open(Func<TaskNursery, Task> run, rt.Token)
                            return Result<Task, ExceptionDispatchInfo>.Ok t
                        with e when rt.Parent.IsNone && not (isNull DebugHooks.Current) ->
                            do! Debugger.postMortem e
                            return Result<Task, ExceptionDispatchInfo>.Error(ExceptionDispatchInfo.Capture e)
                    with e ->
                        return Result<Task, ExceptionDispatchInfo>.Error(ExceptionDispatchInfo.Capture e)
                }

            // Idle pooled processes die with their nursery, whatever its outcome.
            do! spawners.CloseAsync()

            let t =
                match outcome with
                | Result.Ok t -> t
                | Result.Error e ->
                    e.Throw()
                    Unchecked.defaultof<Task>

            if t.IsCompletedSuccessfully || typeof<'T> = typeof<unit> then
                // Our own cancellation is absorbed (trio); a body with a value to return that
                // was cut short has none to give.
                return result
            else
                return raise (OperationCanceledException "the actor nursery was cancelled before its body returned a value")
        }
