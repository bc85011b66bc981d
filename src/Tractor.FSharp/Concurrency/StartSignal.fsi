namespace TractorNet

open System.Threading.Tasks

/// <summary>
/// Handed to a child started with <see cref="M:TractorNet.TaskNursery.Start``1(System.Func{TractorNet.StartSignal{``0},System.Threading.CancellationToken,System.Threading.Tasks.Task})"/>
/// (trio's <c>task_status</c>): the child calls <see cref="M:TractorNet.StartSignal`1.Started(`0)"/> once it is ready,
/// e.g. listening, and <c>Start</c> then returns the value while the child keeps running in the nursery.
/// </summary>
[<Sealed>]
type StartSignal<'T> =

    internal new: unit -> StartSignal<'T>

    /// The child ended: if it had not started, the caller's task ends the same way. (A child that returns
    /// without signalling has already been turned into a failure by the nursery.)
    member internal ChildEnded: child: Task -> unit

    /// <summary>Reports that the child has started, handing <paramref name="value"/> to the caller of <c>Start</c>.</summary>
    /// <exception cref="T:System.InvalidOperationException">Called more than once.</exception>
    member Started: value: 'T -> unit

    /// <summary>True once <see cref="M:TractorNet.StartSignal`1.Started(`0)"/> has been called.</summary>
    member IsStarted: bool

    /// Completes with the started value, or with the child's failure or cancellation if it ended first.
    member internal Task: Task<'T>
