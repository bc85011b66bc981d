namespace TractorNet

open System
open System.Diagnostics
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks

/// <summary>
/// A cancel scope (trio's <c>CancelScope</c>): a region of code that can be cancelled as a unit, by
/// <see cref="M:TractorNet.CancelScope.Cancel"/> or by a deadline (<see cref="M:TractorNet.CancelScope.CancelAfter(System.TimeSpan)"/>).
/// </summary>
/// <remarks>
/// <para>Create a scope, configure it, then run a body in it (<see cref="M:TractorNet.CancelScope.RunAsync``1(System.Func{System.Threading.CancellationToken,System.Threading.Tasks.Task{``0}})"/>;
/// in F# <c>CancelScope.run</c>). While the body runs the scope is the ambient
/// <see cref="P:TractorNet.CancelScope.Current"/> scope and scopes opened inside it are its children.</para>
/// <para>Cancellation is a <see cref="T:System.Threading.CancellationToken"/>: <see cref="P:TractorNet.CancelScope.Token"/> is
/// cancelled when this scope or an enclosing one is cancelled, unless the scope is a
/// <see cref="P:TractorNet.CancelScope.Shield"/>, which ancestors cannot cancel. Ordinary .NET code cooperates by
/// taking the token; <see cref="M:TractorNet.CancelScope.Checkpoint"/> checks the ambient scope.</para>
/// <para>When the body ends with an <see cref="T:System.OperationCanceledException"/> and this scope was itself
/// cancelled (<see cref="P:TractorNet.CancelScope.CancelCalled"/>), the exception is absorbed and
/// <see cref="P:TractorNet.CancelScope.CancelledCaught"/> becomes true. A cancellation that comes only from an
/// enclosing scope propagates to the scope that caused it. A scope can be run once.</para>
/// </remarks>
[<Sealed; AllowNullLiteral>]
type CancelScope() =
    static let current = AsyncLocal<CancelScope>()

    static let onOuterCancelled = Action<obj>(fun state -> (state :?> CancelScope).OuterCancelled())
    static let onTimer = TimerCallback(fun state -> (state :?> CancelScope).TimerFired())

    // Timer due times above this are rejected by System.Threading.Timer; such deadlines never fire in practice.
    static let maxDue = TimeSpan.FromMilliseconds(float UInt32.MaxValue - 2.0)

    let cts = new CancellationTokenSource()
    let token = cts.Token
    let gate = obj ()
    let mutable cancelCalled = 0
    let mutable cancelledCaught = false
    // 0: not yet run, 1: running, 2: finished.
    let mutable state = 0
    let mutable shield = false
    let mutable parent: CancelScope = null
    let mutable parentRegistration = Unchecked.defaultof<CancellationTokenRegistration>
    let mutable linkedRegistration = Unchecked.defaultof<CancellationTokenRegistration>
    // Deadline as a Stopwatch timestamp (monotonic: wall-clock jumps do not move it); MaxValue = none.
    let mutable deadline = Int64.MaxValue
    let mutable timer: Timer = null
    // An exception thrown by a token callback while a timer (not a caller) cancelled the scope.
    let mutable callbackError: exn = null

    /// <summary>The innermost scope whose body is running in this async flow, or <c>null</c> outside any scope.</summary>
    static member Current: CancelScope = current.Value

    /// <summary>The <see cref="P:TractorNet.CancelScope.Token"/> of the <see cref="P:TractorNet.CancelScope.Current"/> scope,
    /// or <see cref="P:System.Threading.CancellationToken.None"/> outside any scope.</summary>
    static member CurrentToken: CancellationToken =
        let s = current.Value
        if isNull s then CancellationToken.None else s.Token

    /// <summary>
    /// A cancellation point: throws <see cref="T:System.OperationCanceledException"/> if the
    /// <see cref="P:TractorNet.CancelScope.Current"/> scope (or an enclosing scope it is not shielded from) has been
    /// cancelled; otherwise returns at once. Outside any scope it does nothing. Cheap enough for tight loops.
    /// </summary>
    static member Checkpoint() : unit =
        let s = current.Value
        if not (isNull s) then
            s.Token.ThrowIfCancellationRequested()

    static member internal SetCurrent(scope: CancelScope) = current.Value <- scope

    /// <summary>Cancelled when this scope, or an enclosing scope it is not shielded from, is cancelled.
    /// Pass it to ordinary .NET async code. (Enclosing scopes are linked when the body starts.)</summary>
    member _.Token: CancellationToken = token

    /// <summary>True once <see cref="P:TractorNet.CancelScope.Token"/> is cancelled, by this scope or an enclosing one.</summary>
    member _.IsCancellationRequested: bool = token.IsCancellationRequested

    /// <summary>True once this scope itself was cancelled (<see cref="M:TractorNet.CancelScope.Cancel"/> or its deadline);
    /// false when only an enclosing scope was.</summary>
    member _.CancelCalled: bool = Volatile.Read(&cancelCalled) = 1

    /// <summary>True when the body ended by a cancellation this scope caused, and the scope absorbed it.</summary>
    member _.CancelledCaught: bool = cancelledCaught

    /// <summary>
    /// A shielded scope is not cancelled by enclosing scopes (its own <see cref="M:TractorNet.CancelScope.Cancel"/> and
    /// deadline still work). Use it for cleanup that must run even while everything around is being cancelled.
    /// Set it before the body runs; it cannot change afterwards (a cancelled token cannot be un-cancelled).
    /// </summary>
    member _.Shield
        with get () = shield
        and set (value: bool) =
            if state <> 0 then
                invalidOp "CancelScope.Shield can only be set before the scope's body starts."
            shield <- value

    /// <summary>Cancels the scope: its token and those of the scopes inside it are cancelled, and the body's
    /// resulting <see cref="T:System.OperationCanceledException"/> is absorbed when it reaches this scope. Idempotent;
    /// allowed before, during and after the body. Like <see cref="M:System.Threading.CancellationTokenSource.Cancel"/>,
    /// throws an <see cref="T:System.AggregateException"/> if token callbacks throw.</summary>
    member this.Cancel() : unit =
        match this.CancelCore() with
        | null -> ()
        | e -> ExceptionDispatchInfo.Throw e

    /// <summary>Sets (or moves) the deadline to <paramref name="delay"/> from now: when it passes, the scope is
    /// cancelled as by <see cref="M:TractorNet.CancelScope.Cancel"/>. A timer fires it; nothing polls.
    /// <see cref="F:System.Threading.Timeout.InfiniteTimeSpan"/> removes the deadline; <see cref="F:System.TimeSpan.Zero"/>
    /// cancels at once.</summary>
    /// <exception cref="T:System.ArgumentOutOfRangeException">The delay is negative (other than infinite).</exception>
    member this.CancelAfter(delay: TimeSpan) : unit =
        if delay = Timeout.InfiniteTimeSpan then
            this.SetDeadline Int64.MaxValue
        elif delay < TimeSpan.Zero then
            raise (ArgumentOutOfRangeException(nameof delay, delay, "The delay must be non-negative or Timeout.InfiniteTimeSpan."))
        else
            let now = Stopwatch.GetTimestamp()
            let ticks = delay.TotalSeconds * float Stopwatch.Frequency
            let at = if ticks >= float (Int64.MaxValue - now) then Int64.MaxValue - 1L else now + int64 ticks
            this.SetDeadline at

    /// <summary>Time left before the deadline: <see cref="F:System.Threading.Timeout.InfiniteTimeSpan"/> when there is none,
    /// <see cref="F:System.TimeSpan.Zero"/> once it has passed.</summary>
    member _.TimeRemaining: TimeSpan =
        let d = Volatile.Read(&deadline)
        if d = Int64.MaxValue then
            Timeout.InfiniteTimeSpan
        else
            let left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), d)
            if left < TimeSpan.Zero then TimeSpan.Zero else left

    /// <summary>
    /// Runs <paramref name="body"/> inside this scope and waits for it. The body gets <see cref="P:TractorNet.CancelScope.Token"/>.
    /// If this scope's own cancellation ends the body, the exception is absorbed, <see cref="P:TractorNet.CancelScope.CancelledCaught"/>
    /// is set and the result is <c>default</c>; any other outcome (a value, an error, a cancellation from an
    /// enclosing scope) passes through unchanged.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The scope has already been run.</exception>
    member this.RunAsync<'T>(body: Func<CancellationToken, Task<'T>>) : Task<'T> =
        if isNull body then nullArg (nameof body)
        task {
            let! t = this.RunTask(Func<CancellationToken, Task>(fun ct -> body.Invoke ct :> Task), CancellationToken.None)
            if cancelledCaught then return Unchecked.defaultof<'T> else return (t :?> Task<'T>).Result
        }

    /// <summary>Runs <paramref name="body"/> inside this scope; see the generic overload.</summary>
    /// <exception cref="T:System.InvalidOperationException">The scope has already been run.</exception>
    member this.RunAsync(body: Func<CancellationToken, Task>) : Task =
        if isNull body then nullArg (nameof body)
        this.RunTask(body, CancellationToken.None) :> Task

    /// Runs the body in this scope; also cancelled by `linked` (like an enclosing scope, even when shielded).
    /// Returns the body's finished task: successful, or cancelled when the scope absorbed its own cancellation
    /// (then CancelledCaught is set). Anything else is thrown.
    member internal this.RunTask(body: Func<CancellationToken, Task>, linked: CancellationToken) : Task<Task> =
        task {
            // Entered inside the task: the AsyncLocal change stays in this flow and never leaks to the caller.
            this.Enter linked
            let t = CancelScope.Invoke(body, token)
            try
                do! t.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing)
            finally
                this.Exit()
            let absorbed = not t.IsCompletedSuccessfully && this.CancelCalled && CancelScope.IsCancellation t
            if absorbed then
                cancelledCaught <- true
            match callbackError with
            | null -> ()
            | e when t.IsFaulted -> raise (MultiErrorException(Seq.append t.Exception.InnerExceptions [ e ]))
            | e -> ExceptionDispatchInfo.Throw e
            if absorbed then
                return t
            else
                // Rethrows the body's own exception (or cancellation) with its original stack trace.
                t.GetAwaiter().GetResult()
                return t
        }

    /// Starts a body, turning a synchronous throw or a null task into a faulted task.
    static member internal Invoke(body: Func<CancellationToken, Task>, ct: CancellationToken) : Task =
        try
            match body.Invoke ct with
            | null -> Task.FromException(InvalidOperationException "The body returned a null Task.")
            | t -> t
        with e ->
            Task.FromException e

    /// True when a finished, unsuccessful task ended by cancellation (and nothing else).
    static member internal IsCancellation(t: Task) =
        t.IsCanceled
        || (t.IsFaulted && t.Exception.InnerExceptions |> Seq.forall (fun e -> e :? OperationCanceledException))

    /// Links the scope under the ambient one (unless shielded) and makes it current.
    member internal this.Enter(linked: CancellationToken) =
        if Interlocked.CompareExchange(&state, 1, 0) <> 0 then
            invalidOp "A CancelScope can be run only once."
        parent <- current.Value
        current.Value <- this
        if not shield && not (isNull parent) then
            parentRegistration <- parent.Token.UnsafeRegister(onOuterCancelled, this)
        if linked.CanBeCanceled then
            linkedRegistration <- linked.UnsafeRegister(onOuterCancelled, this)

    /// Unlinks the scope and restores the previous ambient scope.
    member internal _.Exit() =
        Volatile.Write(&state, 2)
        // Unregister (not Dispose): never block on a callback running on another thread.
        parentRegistration.Unregister() |> ignore
        linkedRegistration.Unregister() |> ignore
        lock gate (fun () ->
            if not (isNull timer) then
                timer.Dispose()
                timer <- null)
        current.Value <- parent

    /// Cancels as the scope's own cancellation; returns what token callbacks threw (or null) instead of throwing.
    member internal _.CancelCore() : exn =
        if Interlocked.Exchange(&cancelCalled, 1) = 0 then
            lock gate (fun () ->
                if not (isNull timer) then
                    timer.Dispose()
                    timer <- null)
            try
                cts.Cancel()
                null
            with e ->
                e
        else
            null

    member internal _.MarkCaught() = cancelledCaught <- true

    /// What token callbacks threw when the deadline cancelled the scope (null if nothing).
    member internal _.CallbackError: exn = callbackError

    member private _.OuterCancelled() = cts.Cancel()

    member private this.SetDeadline(at: int64) =
        let expired =
            lock gate (fun () ->
                Volatile.Write(&deadline, at)
                this.ScheduleLocked())
        if expired then
            this.Expire()

    /// Arms the timer for the deadline; returns true when the deadline has already passed.
    member private this.ScheduleLocked() : bool =
        if Volatile.Read(&cancelCalled) = 1 || state = 2 then
            false
        elif deadline = Int64.MaxValue then
            if not (isNull timer) then
                timer.Change(Timeout.Infinite, Timeout.Infinite) |> ignore
            false
        else
            let due = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline)
            if due <= TimeSpan.Zero then
                true
            else
                // Round up to whole milliseconds so the timer does not fire just before the deadline.
                let due = TimeSpan.FromMilliseconds(Math.Ceiling due.TotalMilliseconds)
                if due <= maxDue then
                    if isNull timer then
                        timer <- new Timer(onTimer, this, due, Timeout.InfiniteTimeSpan)
                    else
                        timer.Change(due, Timeout.InfiniteTimeSpan) |> ignore
                false

    member private this.TimerFired() =
        // The deadline may have moved since this timer was armed: re-check, re-arm if it is still ahead.
        if lock gate (fun () -> this.ScheduleLocked()) then
            this.Expire()

    member private this.Expire() =
        match this.CancelCore() with
        | null -> ()
        | e -> callbackError <- e

/// <summary>F# functions over <see cref="T:TractorNet.CancelScope"/>: <c>run</c>, <c>moveOnAfter</c>, <c>failAfter</c>,
/// <c>shield</c>, <c>checkpoint</c>.</summary>
module CancelScope =

    /// <summary>A cancellation point: throws <see cref="T:System.OperationCanceledException"/> if the ambient scope has
    /// been cancelled (see <see cref="M:TractorNet.CancelScope.Checkpoint"/>).</summary>
    let inline checkpoint () = CancelScope.Checkpoint()

    /// <summary>The ambient scope, if any.</summary>
    let tryCurrent () : CancelScope option = Option.ofObj CancelScope.Current

    let private runIn (scope: CancelScope) (body: CancellationToken -> Task<'T>) : Task<Task<'T>> =
        task {
            let! t = scope.RunTask(Func<CancellationToken, Task>(fun ct -> body ct :> Task), CancellationToken.None)
            return t :?> Task<'T>
        }

    /// The exception a cancelled (or faulted) task ends with.
    let private errorOf (t: Task) : exn =
        try
            t.GetAwaiter().GetResult()
            null
        with e ->
            e

    /// <summary>
    /// Runs <paramref name="body"/> inside <paramref name="scope"/> (configured beforehand: deadline, shield).
    /// Returns <c>ValueSome</c> the body's value, or <c>ValueNone</c> when the scope's own cancellation cut it short
    /// (then <c>scope.CancelledCaught</c> is true). Errors and cancellations from enclosing scopes propagate.
    /// </summary>
    let run (scope: CancelScope) (body: CancellationToken -> Task<'T>) : Task<'T voption> =
        task {
            let! t = runIn scope body
            return (if scope.CancelledCaught then ValueNone else ValueSome t.Result)
        }

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="timeout"/> from now (trio's <c>move_on_after</c>).
    /// On expiry the body is cancelled and, once it has unwound, <c>ValueNone</c> is returned;
    /// otherwise <c>ValueSome</c> its value.
    /// </summary>
    let moveOnAfter (timeout: TimeSpan) (body: CancellationToken -> Task<'T>) : Task<'T voption> =
        let scope = CancelScope()
        scope.CancelAfter timeout
        run scope body

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="timeout"/> from now (trio's <c>fail_after</c>).
    /// On expiry the body is cancelled and, once it has unwound, a <see cref="T:System.TimeoutException"/> is raised
    /// (its inner exception is the cancellation the body ended with).
    /// </summary>
    let failAfter (timeout: TimeSpan) (body: CancellationToken -> Task<'T>) : Task<'T> =
        task {
            let scope = CancelScope()
            scope.CancelAfter timeout
            let! t = runIn scope body
            if scope.CancelledCaught then
                return raise (TimeoutException($"The operation did not complete within {timeout}.", errorOf t))
            else
                return t.Result
        }

    /// <summary>
    /// Runs <paramref name="body"/> in a shielded scope: cancelling enclosing scopes does not cancel it (trio's
    /// <c>CancelScope(shield=True)</c>). For cleanup that must finish; keep it short, or give it its own deadline
    /// with <c>moveOnAfter</c> inside.
    /// </summary>
    let shield (body: CancellationToken -> Task<'T>) : Task<'T> =
        task {
            let! t = runIn (CancelScope(Shield = true)) body
            return t.Result
        }
