namespace TractorNet

open System
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
type TaskNursery =

    internal new: scope: CancelScope -> TaskNursery

    /// <summary>
    /// Opens a nursery, runs <paramref name="body"/> in it, and waits for every child. Also cancelled by
    /// <paramref name="linked"/>, like an enclosing scope. Returns the body's finished task: successful, or
    /// cancelled when the nursery absorbed its own cancellation. Errors and outside cancellations are thrown.
    /// </summary>
    static member internal Open: body: Func<TaskNursery, Task> * linked: CancellationToken -> Task<Task>

    /// <summary>Cancels the nursery: the body and every child. The cancellation is absorbed when the nursery ends.</summary>
    member Cancel: unit -> unit

    /// A child (or the body) has ended: record its error, if any, then leave.
    member internal Ended: t: Task -> unit

    /// <summary>
    /// Starts <paramref name="child"/> in the nursery and waits until it calls
    /// <see cref="M:TractorNet.StartSignal`1.Started(`0)"/> (trio's <c>nursery.start</c>); returns that value while the
    /// child keeps running in the nursery. If the child ends first, the returned task ends the same way (a child that
    /// returns without signalling fails with <see cref="T:System.InvalidOperationException"/>); the nursery sees that
    /// error too.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member Start: child: Func<StartSignal<'T>, CancellationToken, Task> -> Task<'T>

    /// <summary>Starts <paramref name="child"/> in the nursery and returns its task; see the generic overload.</summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member StartChild: child: Func<CancellationToken, Task> -> Task

    /// <summary>
    /// Starts <paramref name="child"/> in the nursery like <see cref="M:TractorNet.TaskNursery.StartSoon(System.Func{System.Threading.CancellationToken,System.Threading.Tasks.Task})"/>
    /// and returns the child's own task: its value, error or cancellation (like F#'s <c>Async.StartChild</c>).
    /// Awaiting it is optional: the nursery handles the child's error in any case.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member StartChild: child: Func<CancellationToken, Task<'T>> -> Task<'T>

    /// <summary>
    /// Starts <paramref name="child"/> in the nursery (on the thread pool) and returns at once (trio's <c>start_soon</c>).
    /// The child receives the nursery's token and runs with the nursery's scope as its ambient scope; its error, if
    /// any, is the nursery's. Use <see cref="M:TractorNet.TaskNursery.StartChild``1(System.Func{System.Threading.CancellationToken,System.Threading.Tasks.Task{``0}})"/>
    /// to get its result.
    /// </summary>
    /// <exception cref="T:System.InvalidOperationException">The nursery is closed.</exception>
    member StartSoon: child: Func<CancellationToken, Task> -> unit

    /// <summary>The nursery's cancel scope: cancel it, give it a deadline (<c>CancelAfter</c>), inspect it.</summary>
    member CancelScope: CancelScope

    /// <summary>True once the body and all children have ended; no child can be started any more.</summary>
    member IsClosed: bool

    /// <summary>Cancelled when the nursery is cancelled (by <see cref="M:TractorNet.TaskNursery.Cancel"/>, an error,
    /// or an enclosing scope). Children receive this token.</summary>
    member Token: CancellationToken

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
    val run: body: (TaskNursery -> Task<unit>) -> Task<unit>

    /// <summary>
    /// Like <see cref="M:TractorNet.TaskNurseryModule.run"/>, returning the body's value: <c>ValueSome</c> it, or
    /// <c>ValueNone</c> when the nursery's own cancellation (<c>n.Cancel()</c>, its deadline) cut the body short.
    /// </summary>
    val runValue: body: (TaskNursery -> Task<'T>) -> Task<'T voption>

/// <summary>F# overloads of <see cref="T:TractorNet.TaskNursery"/>'s members taking F# functions, so that function
/// values and partial applications work as well as lambdas: <c>n.StartSoon(worker)</c>, <c>n.StartSoon(fetch url)</c>.
/// (<c>Start</c> keeps only its delegate form, so that lambda parameters need no annotations.)</summary>
[<AutoOpen>]
module TaskNurseryExtensions =
    type TaskNursery with

        /// <summary>Starts <paramref name="child"/> in the nursery and returns at once (trio's <c>start_soon</c>).</summary>
        member StartSoon: child: (CancellationToken -> Task<'T>) -> unit
    type TaskNursery with

        /// <summary>Starts <paramref name="child"/> in the nursery and returns its task (its value, error or cancellation).</summary>
        member StartChild: child: (CancellationToken -> Task<'T>) -> Task<'T>
