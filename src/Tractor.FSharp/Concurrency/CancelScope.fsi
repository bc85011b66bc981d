namespace TractorNet

open System
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
type CancelScope =

    new: unit -> CancelScope

    /// <summary>
    /// A cancellation point: throws <see cref="T:System.OperationCanceledException"/> if the
    /// <see cref="P:TractorNet.CancelScope.Current"/> scope (or an enclosing scope it is not shielded from) has been
    /// cancelled; otherwise returns at once. Outside any scope it does nothing. Cheap enough for tight loops.
    /// </summary>
    static member Checkpoint: unit -> unit

    /// Starts a body, turning a synchronous throw or a null task into a faulted task.
    static member internal Invoke: body: Func<CancellationToken, Task> * ct: CancellationToken -> Task

    /// True when a finished, unsuccessful task ended by cancellation (and nothing else).
    static member internal IsCancellation: t: Task -> bool

    static member internal SetCurrent: scope: CancelScope -> unit

    /// <summary>Cancels the scope: its token and those of the scopes inside it are cancelled, and the body's
    /// resulting <see cref="T:System.OperationCanceledException"/> is absorbed when it reaches this scope. Idempotent;
    /// allowed before, during and after the body. Like <see cref="M:System.Threading.CancellationTokenSource.Cancel"/>,
    /// throws an <see cref="T:System.AggregateException"/> if token callbacks throw.</summary>
    member Cancel: unit -> unit

    /// <summary>Sets (or moves) the deadline to <paramref name="delay"/> from now: when it passes, the scope is
    /// cancelled as by <see cref="M:TractorNet.CancelScope.Cancel"/>. A timer fires it; nothing polls.
    /// <see cref="F:System.Threading.Timeout.InfiniteTimeSpan"/> removes the deadline; <see cref="F:System.TimeSpan.Zero"/>
    /// cancels at once.</summary>
    /// <exception cref="T:System.ArgumentOutOfRangeException">The delay is negative (other than infinite).</exception>
    member CancelAfter: delay: TimeSpan -> unit

    /// Cancels as the scope's own cancellation; returns what token callbacks threw (or null) instead of throwing.
    member internal CancelCore: unit -> exn

    /// Links the scope under the ambient one (unless shielded) and makes it current.
    member internal Enter: linked: CancellationToken -> unit

    /// Unlinks the scope and restores the previous ambient scope.
    member internal Exit: unit -> unit

    member internal MarkCaught: unit -> unit

    /// <summary>Runs <paramref name="body"/> inside this scope; see the generic overload.</summary>
    /// <exception cref="T:System.InvalidOperationException">The scope has already been run.</exception>
    member RunAsync: body: Func<CancellationToken, Task> -> Task

    /// <summary>
    /// Runs <paramref name="body"/> inside this scope and waits for it. The body gets <see cref="P:TractorNet.CancelScope.Token"/>.
    /// If this scope's own cancellation ends the body, the exception is absorbed, <see cref="P:TractorNet.CancelScope.CancelledCaught"/>
    /// is set and the result is <c>default</c>; any other outcome (a value, an error, a cancellation from an
    /// enclosing scope) passes through unchanged.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The scope has already been run.</exception>
    member RunAsync: body: Func<CancellationToken, Task<'T>> -> Task<'T>

    /// Runs the body in this scope; also cancelled by `linked` (like an enclosing scope, even when shielded).
    /// Returns the body's finished task: successful, or cancelled when the scope absorbed its own cancellation
    /// (then CancelledCaught is set). Anything else is thrown.
    member internal RunTask: body: Func<CancellationToken, Task> * linked: CancellationToken -> Task<Task>

    /// What token callbacks threw when the deadline cancelled the scope (null if nothing).
    member internal CallbackError: exn

    /// <summary>True once this scope itself was cancelled (<see cref="M:TractorNet.CancelScope.Cancel"/> or its deadline);
    /// false when only an enclosing scope was.</summary>
    member CancelCalled: bool

    /// <summary>True when the body ended by a cancellation this scope caused, and the scope absorbed it.</summary>
    member CancelledCaught: bool

    /// <summary>True once <see cref="P:TractorNet.CancelScope.Token"/> is cancelled, by this scope or an enclosing one.</summary>
    member IsCancellationRequested: bool

    /// <summary>
    /// A shielded scope is not cancelled by enclosing scopes (its own <see cref="M:TractorNet.CancelScope.Cancel"/> and
    /// deadline still work). Use it for cleanup that must run even while everything around is being cancelled.
    /// Set it before the body runs; it cannot change afterwards (a cancelled token cannot be un-cancelled).
    /// </summary>
    member Shield: bool with get, set

    /// <summary>Time left before the deadline: <see cref="F:System.Threading.Timeout.InfiniteTimeSpan"/> when there is none,
    /// <see cref="F:System.TimeSpan.Zero"/> once it has passed.</summary>
    member TimeRemaining: TimeSpan

    /// <summary>Cancelled when this scope, or an enclosing scope it is not shielded from, is cancelled.
    /// Pass it to ordinary .NET async code. (Enclosing scopes are linked when the body starts.)</summary>
    member Token: CancellationToken

    /// <summary>The innermost scope whose body is running in this async flow, or <c>null</c> outside any scope.</summary>
    static member Current: CancelScope

    /// <summary>The <see cref="P:TractorNet.CancelScope.Token"/> of the <see cref="P:TractorNet.CancelScope.Current"/> scope,
    /// or <see cref="P:System.Threading.CancellationToken.None"/> outside any scope.</summary>
    static member CurrentToken: CancellationToken

/// <summary>F# functions over <see cref="T:TractorNet.CancelScope"/>: <c>run</c>, <c>moveOnAfter</c>, <c>failAfter</c>,
/// <c>shield</c>, <c>checkpoint</c>.</summary>
module CancelScope =

    /// <summary>A cancellation point: throws <see cref="T:System.OperationCanceledException"/> if the ambient scope has
    /// been cancelled (see <see cref="M:TractorNet.CancelScope.Checkpoint"/>).</summary>
    val inline checkpoint: unit -> unit

    /// <summary>The ambient scope, if any.</summary>
    val tryCurrent: unit -> CancelScope option

    /// <summary>
    /// Runs <paramref name="body"/> inside <paramref name="scope"/> (configured beforehand: deadline, shield).
    /// Returns <c>ValueSome</c> the body's value, or <c>ValueNone</c> when the scope's own cancellation cut it short
    /// (then <c>scope.CancelledCaught</c> is true). Errors and cancellations from enclosing scopes propagate.
    /// </summary>
    val run: scope: CancelScope -> body: (CancellationToken -> Task<'T>) -> Task<'T voption>

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="timeout"/> from now (trio's <c>move_on_after</c>).
    /// On expiry the body is cancelled and, once it has unwound, <c>ValueNone</c> is returned;
    /// otherwise <c>ValueSome</c> its value.
    /// </summary>
    val moveOnAfter: timeout: TimeSpan -> body: (CancellationToken -> Task<'T>) -> Task<'T voption>

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="timeout"/> from now (trio's <c>fail_after</c>).
    /// On expiry the body is cancelled and, once it has unwound, a <see cref="T:System.TimeoutException"/> is raised
    /// (its inner exception is the cancellation the body ended with).
    /// </summary>
    val failAfter: timeout: TimeSpan -> body: (CancellationToken -> Task<'T>) -> Task<'T>

    /// <summary>
    /// Runs <paramref name="body"/> in a shielded scope: cancelling enclosing scopes does not cancel it (trio's
    /// <c>CancelScope(shield=True)</c>). For cleanup that must finish; keep it short, or give it its own deadline
    /// with <c>moveOnAfter</c> inside.
    /// </summary>
    val shield: body: (CancellationToken -> Task<'T>) -> Task<'T>
