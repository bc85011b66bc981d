namespace TractorNet

open System
open System.Collections.Generic
open System.Threading.Tasks
open System.Runtime.ExceptionServices

/// <summary>A step of a <c>nursery { }</c> computation: a function of the open nursery.</summary>
type NurseryOp<'T> = ActorNursery -> Task<'T>

/// <summary>
/// The <c>nursery { }</c> computation expression. <c>Run</c> opens an actor nursery (starting the root
/// actor on first use), runs the body in it and returns once every child actor is done and
/// reaped. Every <c>let!</c>/<c>do!</c> and loop iteration is a cancellation checkpoint. An await stops
/// waiting as soon as the nursery is cancelled, and then waits for the awaited operation's real
/// end (bounded by the cancel ladder), so that nothing the body started outlives the nursery.
/// </summary>
type NurseryBuilder internal (debugMode: bool, spawnMethod: SpawnMethod voption, poolSize: int voption) =
    static let checkpoint (n: ActorNursery) = n.Token.ThrowIfCancellationRequested()

    /// `t`, awaited in `n`: once the nursery is cancelled, the cancellation is raised after t
    /// has ended (or given up on: ActorNursery.AwaitCutShort).
    static let awaitIn (n: ActorNursery) (t: Task<'T>) : Task<'T> =
        if t.IsCompleted then
            t
        else
            task {
                let! _ = Task.WhenAny(t, n.WhenCancelled)

                if not t.IsCompleted then
                    do! n.AwaitCutShort t
                    checkpoint n

                return! t
            }

    member inline _.Zero() : NurseryOp<unit> = fun _ -> Task.FromResult()
    member inline _.Return(x: 'T) : NurseryOp<'T> = fun _ -> Task.FromResult x
    member inline _.ReturnFrom(op: NurseryOp<'T>) : NurseryOp<'T> = op
    member _.ReturnFrom(t: Task<'T>) : NurseryOp<'T> = fun n -> awaitIn n t
    member inline _.Delay(f: unit -> NurseryOp<'T>) : NurseryOp<'T> = fun n -> f () n

    /// <summary>A builder for nurseries with the default options.</summary>
    new() = NurseryBuilder(false, ValueNone, ValueNone)

    /// <summary>
    /// The builder with options: <c>nursery.With(debugMode = true) { ... }</c> runs the tree in debug
    /// mode (see <see cref="Debug"/>), inherited by every actor below;
    /// <c>nursery.With(spawnMethod = SpawnMethod.WarmPool, poolSize = 4) { ... }</c> starts the nursery's actors
    /// from a warm pool of 4 pre-started processes, which starts filling as the nursery opens.
    /// </summary>
    /// <param name="debugMode">Whether pauses and errors open the multi-process debugger's REPL.</param>
    /// <param name="spawnMethod">How the nursery starts its actors (default: <c>SpawnMethod.NewProcess</c>, or <c>TRACTOR_SPAWN_METHOD</c>).</param>
    /// <param name="poolSize">How many idle processes the nursery's warm pool keeps (default 2, or <c>TRACTOR_POOL_SIZE</c>).</param>
    member _.With(?debugMode: bool, ?spawnMethod: SpawnMethod, ?poolSize: int) =
        NurseryBuilder(defaultArg debugMode false, ValueOption.ofOption spawnMethod, ValueOption.ofOption poolSize)

    member _.Run(op: NurseryOp<'T>) : Task<'T> =
        match spawnMethod, poolSize with
        | ValueNone, ValueNone -> ActorNursery.Open(debugMode, op)
        | _ ->
            let configure (n: ActorNursery) =
                poolSize |> ValueOption.iter (fun size -> n.PoolSize <- size)
                spawnMethod |> ValueOption.iter (fun m -> n.SpawnMethod <- m)

            ActorNursery.Open(debugMode, configure, op)

    member _.Bind(op: NurseryOp<'T>, f: 'T -> NurseryOp<'U>) : NurseryOp<'U> =
        fun n ->
            task {
                checkpoint n
                let! x = op n
                return! f x n
            }

    // Every Bind's continuation takes the awaited value (unit for a plain Task, through the
    // awaitable Bind below): an overload whose continuation took `unit` instead would leave
    // `let! ctx, first = portal.OpenContext(f, x)` without a type for `ctx` (FS0072).
    member _.Bind(t: Task<'T>, f: 'T -> NurseryOp<'U>) : NurseryOp<'U> =
        fun n ->
            task {
                let! x = awaitIn n t
                checkpoint n
                return! f x n
            }

    member this.Bind(t: ValueTask<'T>, f: 'T -> NurseryOp<'U>) : NurseryOp<'U> = this.Bind(t.AsTask(), f)

    member this.Bind(a: Async<'T>, f: 'T -> NurseryOp<'U>) : NurseryOp<'U> =
        fun n -> this.Bind(Async.StartAsTask(a, cancellationToken = n.Token), f) n

    member _.Combine(first: NurseryOp<unit>, second: NurseryOp<'T>) : NurseryOp<'T> =
        fun n ->
            task {
                do! first n
                return! second n
            }

    member _.While(guard: unit -> bool, body: NurseryOp<unit>) : NurseryOp<unit> =
        fun n ->
            task {
                while guard () do
                    checkpoint n
                    do! body n
            }

    member _.For(items: seq<'T>, body: 'T -> NurseryOp<unit>) : NurseryOp<unit> =
        fun n ->
            task {
                for x in items do
                    checkpoint n
                    do! body x n
            }

    member _.For(items: IAsyncEnumerable<'T>, body: 'T -> NurseryOp<unit>) : NurseryOp<unit> =
        fun n ->
            task {
                let e = items.GetAsyncEnumerator n.Token
                let mutable failure: ExceptionDispatchInfo = null

                try
                    let mutable go = true

                    while go do
                        checkpoint n
                        let! more = e.MoveNextAsync()

                        if more then do! body e.Current n else go <- false
                with ex ->
                    failure <- ExceptionDispatchInfo.Capture ex

                // Disposed on every path (break, error, cancellation), awaited, exactly once.
                do! e.DisposeAsync()

                if not (isNull failure) then
                    failure.Throw()
            }

    member _.TryWith(body: NurseryOp<'T>, handler: exn -> NurseryOp<'T>) : NurseryOp<'T> =
        fun n ->
            task {
                try
                    return! body n
                with e ->
                    return! handler e n
            }

    member _.TryFinally(body: NurseryOp<'T>, compensation: unit -> unit) : NurseryOp<'T> =
        fun n ->
            task {
                try
                    return! body n
                finally
                    compensation ()
            }

    member this.Using(resource: 'R :> IDisposable, body: 'R -> NurseryOp<'T>) : NurseryOp<'T> =
        this.TryFinally(
            (fun n -> body resource n),
            fun () ->
                if not (isNull (box resource)) then
                    resource.Dispose()
        )

/// <summary>
/// <c>let!</c>/<c>do!</c> of any other awaitable in <c>nursery { }</c>: a plain <c>Task</c> or <c>ValueTask</c>, a
/// configured awaitable. An extension, so that the Task, ValueTask and Async overloads win where
/// they apply.
/// </summary>
[<AutoOpen>]
module NurseryBuilderAwaitables =
    type NurseryBuilder with
        /// <summary>
        /// Awaits anything with a <c>GetAwaiter()</c> (<c>do! Task.Delay 10</c>, <c>do! valueTask</c>).
        /// </summary>
        member inline this.Bind(awaitable: ^A, f: 'T -> NurseryOp<'U>) : NurseryOp<'U>
            when ^A: (member GetAwaiter: unit -> ^W)
            and ^W :> System.Runtime.CompilerServices.INotifyCompletion
            and ^W: (member get_IsCompleted: unit -> bool)
            and ^W: (member GetResult: unit -> 'T) =
            let w = (^A: (member GetAwaiter: unit -> ^W) awaitable)

            let t: Task<'T> =
                if (^W: (member get_IsCompleted: unit -> bool) w) then
                    try
                        Task.FromResult((^W: (member GetResult: unit -> 'T) w))
                    with e ->
                        Task.FromException<'T> e
                else
                    let done' = TaskCompletionSource<'T>(TaskCreationOptions.RunContinuationsAsynchronously)

                    (w :> System.Runtime.CompilerServices.INotifyCompletion)
                        .OnCompleted(fun () ->
                            try
                                done'.SetResult((^W: (member GetResult: unit -> 'T) w))
                            with
                            | :? OperationCanceledException as e -> done'.SetCanceled e.CancellationToken
                            | e -> done'.SetException e)

                    done'.Task

            this.Bind(t, f)

/// <summary>The <c>nursery { }</c> builder.</summary>
[<AutoOpen>]
module NurseryBuilderInstance =
    /// <summary>Opens an actor nursery: <c>nursery { let! p = runInActor burnCpu in ... }</c>.</summary>
    let nursery = NurseryBuilder()
