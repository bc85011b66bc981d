namespace TractorNet

open System
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks

/// <summary>
/// A task nursery (trio's nursery): the body and every child started in it run inside one
/// <see cref="P:TractorNet.TaskNursery.CancelScope"/>, and the nursery does not return until all of them have ended.
/// Open one with <c>TaskNursery.run</c> (F#) or <c>TaskNursery.OpenAsync</c> (C#).
/// </summary>
/// <remarks>
/// <para>The first error, in a child or in the body, cancels the nursery: every child and the body are cancelled at once,
/// and the nursery waits for all of them to end (a child that ignores cancellation for a while is waited for).
/// Then one error is re-raised as itself (original stack trace kept); two or more as one
/// <see cref="T:TractorNet.MultiErrorException"/> holding all of them in order.</para>
/// <para><see cref="T:System.OperationCanceledException"/>s that end a child or the body while the nursery is
/// cancelled are not errors. One raised while the nursery is not cancelled (e.g. another library's timeout) is.</para>
/// <para>The nursery's own cancellation (<see cref="M:TractorNet.TaskNursery.Cancel"/>, an error, its scope's deadline)
/// is absorbed when the nursery ends; a cancellation of an enclosing scope propagates out of it.</para>
/// <para>Children can be started while the nursery is open, i.e. until the body and all children have ended, also from
/// other children; children started after it was cancelled start with a cancelled token.</para>
/// </remarks>
[<Sealed>]
type TaskNursery internal (scope: CancelScope) =
    static let onChildEnded =
        Action<Task, obj>(fun t state -> (state :?> TaskNursery).Ended t)

    let gate = obj ()
    // Tasks still running, the body included; the nursery closes when it reaches 0.
    let mutable running = 1
    let mutable closed = false
    let errors = ResizeArray<exn>()
    // Whether some child or the body ended by cancellation.
    let mutable cutShort = false
    let allEnded = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

    /// <summary>The nursery's cancel scope: cancel it, give it a deadline (<c>CancelAfter</c>), inspect it.</summary>
    member _.CancelScope: CancelScope = scope

    /// <summary>Cancelled when the nursery is cancelled (by <see cref="M:TractorNet.TaskNursery.Cancel"/>, an error,
    /// or an enclosing scope). Children receive this token.</summary>
    member _.Token: CancellationToken = scope.Token

    /// <summary>Cancels the nursery: the body and every child. The cancellation is absorbed when the nursery ends.</summary>
    member _.Cancel() : unit = scope.Cancel()

    /// <summary>True once the body and all children have ended; no child can be started any more.</summary>
    member _.IsClosed: bool = lock gate (fun () -> closed)

    /// <summary>
    /// Starts <paramref name="child"/> in the nursery (on the thread pool) and returns at once (trio's <c>start_soon</c>).
    /// The child receives the nursery's token and runs with the nursery's scope as its ambient scope; its error, if
    /// any, is the nursery's. Use <see cref="M:TractorNet.TaskNursery.StartChild``1(System.Func{System.Threading.CancellationToken,System.Threading.Tasks.Task{``0}})"/>
    /// to get its result.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member this.StartSoon(child: Func<CancellationToken, Task>) : unit = this.StartChild child |> ignore

    /// <summary>
    /// Starts <paramref name="child"/> in the nursery like <see cref="M:TractorNet.TaskNursery.StartSoon(System.Func{System.Threading.CancellationToken,System.Threading.Tasks.Task})"/>
    /// and returns the child's own task: its value, error or cancellation (like F#'s <c>Async.StartChild</c>).
    /// Awaiting it is optional: the nursery handles the child's error in any case.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member this.StartChild<'T>(child: Func<CancellationToken, Task<'T>>) : Task<'T> =
        if isNull child then nullArg (nameof child)
        this.Admit()
        let t = Task.Run<'T>(Func<Task<'T>>(fun () -> this.Invoke child))
        t.ContinueWith(onChildEnded, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
        |> ignore
        t

    /// <summary>Starts <paramref name="child"/> in the nursery and returns its task; see the generic overload.</summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member this.StartChild(child: Func<CancellationToken, Task>) : Task =
        if isNull child then nullArg (nameof child)
        this.Admit()
        let t = Task.Run(Func<Task>(fun () -> this.Invoke child))
        t.ContinueWith(onChildEnded, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
        |> ignore
        t

    /// <summary>
    /// Starts <paramref name="child"/> in the nursery and waits until it calls
    /// <see cref="M:TractorNet.StartSignal`1.Started(`0)"/> (trio's <c>nursery.start</c>); returns that value while the
    /// child keeps running in the nursery. If the child ends first, the returned task ends the same way (a child that
    /// returns without signalling fails with <see cref="T:System.InvalidOperationException"/>); the nursery sees that
    /// error too.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member this.Start<'T>(child: Func<StartSignal<'T>, CancellationToken, Task>) : Task<'T> =
        if isNull child then nullArg (nameof child)
        let signal = StartSignal<'T>()
        // A child that returns without signalling is an error of the child (so the nursery reports it too).
        let checkStarted =
            Func<Task, Task>(fun t ->
                if t.IsCompletedSuccessfully && not signal.IsStarted then
                    Task.FromException(InvalidOperationException "The child returned without calling StartSignal.Started.")
                else
                    t)
        let body =
            Func<CancellationToken, Task>(fun ct ->
                let t = CancelScope.Invoke(Func<CancellationToken, Task>(fun ct -> child.Invoke(signal, ct)), ct)
                t.ContinueWith(checkStarted, TaskContinuationOptions.ExecuteSynchronously).Unwrap())
        let t = this.StartChild body
        t.ContinueWith((fun (t: Task) -> signal.ChildEnded t), TaskContinuationOptions.ExecuteSynchronously) |> ignore
        // The nursery reports a failure anyway: do not let an unawaited signal task count as unobserved.
        signal.Task.ContinueWith((fun (t: Task) -> t.Exception |> ignore), TaskContinuationOptions.OnlyOnFaulted ||| TaskContinuationOptions.ExecuteSynchronously)
        |> ignore
        signal.Task

    member private _.Admit() =
        lock gate (fun () ->
            if closed then
                invalidOp "The task nursery is closed: its body and all its children have ended."
            running <- running + 1)

    /// Runs on the pool: the child sees the nursery's scope as ambient (whoever called StartSoon).
    member private _.Invoke<'R when 'R: null>(child: Func<CancellationToken, 'R>) : 'R =
        CancelScope.SetCurrent scope
        match child.Invoke scope.Token with
        | null -> raise (InvalidOperationException "The child returned a null Task.")
        | t -> t

    /// A child (or the body) has ended: record its error, if any, then leave.
    member internal this.Ended(t: Task) =
        if t.IsFaulted then
            for e in t.Exception.InnerExceptions do
                match e with
                | :? OperationCanceledException when scope.IsCancellationRequested -> this.MarkCutShort()
                | e -> this.Fail e
        elif t.IsCanceled then
            if scope.IsCancellationRequested then
                this.MarkCutShort()
            else
                // Cancelled by something other than the nursery: an error, like any other exception.
                this.Fail(
                    try
                        t.GetAwaiter().GetResult()
                        null
                    with e ->
                        e
                )
        this.Leave()

    member private _.MarkCutShort() = lock gate (fun () -> cutShort <- true)

    /// Records an error (once per exception object: the body often rethrows a child's) and cancels everything.
    member private this.Fail(e: exn) =
        lock gate (fun () ->
            if not (errors.Exists(fun x -> Object.ReferenceEquals(x, e))) then
                errors.Add e)
        match scope.CancelCore() with
        | null -> ()
        | callbackError -> this.AddError callbackError

    member private _.AddError(e: exn) = lock gate (fun () -> errors.Add e)

    member private _.Leave() =
        let last =
            lock gate (fun () ->
                running <- running - 1
                if running = 0 then closed <- true
                closed)
        if last then
            allEnded.TrySetResult() |> ignore

    /// <summary>
    /// Opens a nursery, runs <paramref name="body"/> in it, and waits for every child. Also cancelled by
    /// <paramref name="linked"/>, like an enclosing scope. Returns the body's finished task: successful, or
    /// cancelled when the nursery absorbed its own cancellation. Errors and outside cancellations are thrown.
    /// </summary>
    static member internal Open(body: Func<TaskNursery, Task>, linked: CancellationToken) : Task<Task> =
        if isNull body then nullArg (nameof body)
        task {
            let scope = CancelScope()
            // Entered inside the task, so the ambient scope never leaks into the caller's flow.
            scope.Enter linked
            let n = TaskNursery scope
            let b = CancelScope.Invoke(Func<CancellationToken, Task>(fun _ -> body.Invoke n), scope.Token)
            try
                do! b.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing)
                n.Ended b
                do! n.AllEnded
            finally
                scope.Exit()
            match scope.CallbackError with
            | null -> ()
            | e -> n.AddError e
            return n.Outcome b
        }

    member private _.AllEnded: Task = allEnded.Task

    /// Decides what the nursery raises or returns once everything has ended.
    member private _.Outcome(body: Task) : Task =
        match List.ofSeq errors with
        | [ e ] ->
            ExceptionDispatchInfo.Throw e
            body
        | _ :: _ :: _ as all -> raise (MultiErrorException(all))
        | [] when scope.CancelCalled ->
            // Our own cancellation: absorbed, whether or not it cut anything short.
            if not body.IsCompletedSuccessfully then
                scope.MarkCaught()
            body
        | [] when not body.IsCompletedSuccessfully ->
            // Cut short by an enclosing scope (or the linked token): let that cancellation propagate.
            body.GetAwaiter().GetResult()
            body
        | [] when cutShort ->
            raise (OperationCanceledException("The task nursery was cancelled by an enclosing scope.", scope.Token))
        | [] -> body

/// <summary>F# functions to open a <see cref="T:TractorNet.TaskNursery"/>.</summary>
module TaskNursery =

    /// <summary>
    /// Opens a nursery, runs <paramref name="body"/> in it, and returns once the body and every child have ended
    /// (trio's <c>async with open_nursery() as n</c>). Errors are re-raised (one as itself, several as a
    /// <see cref="T:TractorNet.MultiErrorException"/>); the nursery's own cancellation is absorbed.
    /// </summary>
    /// <example><code>
    /// do! TaskNursery.run (fun n -> task {
    ///     n.StartSoon(fun ct -> task { do! Task.Delay(100, ct) })
    ///     let! v = n.StartChild(fun ct -> task { return 42 })
    ///     printfn $"{v}" })
    /// </code></example>
    let run (body: TaskNursery -> Task<unit>) : Task<unit> =
        task {
            let! _ = TaskNursery.Open(Func<TaskNursery, Task>(fun n -> body n :> Task), CancellationToken.None)
            return ()
        }

    /// <summary>
    /// Like <see cref="M:TractorNet.TaskNurseryModule.run"/>, returning the body's value: <c>ValueSome</c> it, or
    /// <c>ValueNone</c> when the nursery's own cancellation (<c>n.Cancel()</c>, its deadline) cut the body short.
    /// </summary>
    let runValue (body: TaskNursery -> Task<'T>) : Task<'T voption> =
        task {
            let! t = TaskNursery.Open(Func<TaskNursery, Task>(fun n -> body n :> Task), CancellationToken.None)
            return (if t.IsCompletedSuccessfully then ValueSome (t :?> Task<'T>).Result else ValueNone)
        }

/// <summary>F# overloads of <see cref="T:TractorNet.TaskNursery"/>'s members taking F# functions, so that function
/// values and partial applications work as well as lambdas: <c>n.StartSoon(worker)</c>, <c>n.StartSoon(fetch url)</c>.
/// (<c>Start</c> keeps only its delegate form, so that lambda parameters need no annotations.)</summary>
[<AutoOpen>]
module TaskNurseryExtensions =
    type TaskNursery with
        /// <summary>Starts <paramref name="child"/> in the nursery and returns at once (trio's <c>start_soon</c>).</summary>
        member n.StartSoon(child: CancellationToken -> Task<'T>) : unit =
            n.StartSoon(Func<CancellationToken, Task>(fun ct -> child ct :> Task))

        /// <summary>Starts <paramref name="child"/> in the nursery and returns its task (its value, error or cancellation).</summary>
        member n.StartChild(child: CancellationToken -> Task<'T>) : Task<'T> =
            n.StartChild(Func<CancellationToken, Task<'T>>(child))
