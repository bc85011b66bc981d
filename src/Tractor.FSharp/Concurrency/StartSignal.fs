namespace TractorNet

open System.Threading.Tasks

/// <summary>
/// Handed to a child started with <see cref="M:TractorNet.TaskNursery.Start``1(System.Func{TractorNet.StartSignal{``0},System.Threading.CancellationToken,System.Threading.Tasks.Task})"/>
/// (trio's <c>task_status</c>): the child calls <see cref="M:TractorNet.StartSignal`1.Started(`0)"/> once it is ready,
/// e.g. listening, and <c>Start</c> then returns the value while the child keeps running in the nursery.
/// </summary>
[<Sealed>]
type StartSignal<'T> internal () =
    let started = TaskCompletionSource<'T>(TaskCreationOptions.RunContinuationsAsynchronously)

    /// <summary>Reports that the child has started, handing <paramref name="value"/> to the caller of <c>Start</c>.</summary>
    /// <exception cref="T:System.InvalidOperationException">Called more than once.</exception>
    member _.Started(value: 'T) : unit =
        if not (started.TrySetResult value) then
            invalidOp "StartSignal.Started was already called (or the child had already ended)."

    /// <summary>True once <see cref="M:TractorNet.StartSignal`1.Started(`0)"/> has been called.</summary>
    member _.IsStarted: bool = started.Task.IsCompletedSuccessfully

    /// Completes with the started value, or with the child's failure or cancellation if it ended first.
    member internal _.Task: Task<'T> = started.Task

    /// The child ended: if it had not started, the caller's task ends the same way. (A child that returns
    /// without signalling has already been turned into a failure by the nursery.)
    member internal _.ChildEnded(child: Task) =
        if child.IsFaulted then
            started.TrySetException child.Exception.InnerExceptions |> ignore
        elif child.IsCanceled then
            started.TrySetCanceled() |> ignore
