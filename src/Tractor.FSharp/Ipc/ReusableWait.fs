namespace TractorNet.Ipc

open System.Threading.Tasks
open System.Threading.Tasks.Sources

/// A reusable wait for one result (one waiter at a time): the slow paths of receiving complete
/// it instead of allocating a task per wait. Its continuation runs on the completing thread,
/// as an awaited async method's would, unless `RunContinuationsAsynchronously` is set.
[<Sealed>]
type internal ReusableWait<'T>() =
    [<DefaultValue(false)>]
    val mutable private core: ManualResetValueTaskSourceCore<'T>

    /// Whether continuations go to the thread pool instead of running on the completing thread.
    member this.RunContinuationsAsynchronously
        with get () = this.core.RunContinuationsAsynchronously
        and set (value: bool) = this.core.RunContinuationsAsynchronously <- value

    /// Starts a new wait; returns its version.
    member this.Reset() : int16 =
        this.core.Reset()
        this.core.Version

    /// The awaitable of the wait `version`.
    member this.Task(version: int16) = ValueTask<'T>(this, version)

    member this.SetResult(value: 'T) = this.core.SetResult value
    member this.SetException(e: exn) = this.core.SetException e

    interface IValueTaskSource<'T> with
        member this.GetStatus(token) = this.core.GetStatus token
        member this.OnCompleted(continuation, state, token, flags) = this.core.OnCompleted(continuation, state, token, flags)
        member this.GetResult(token) = this.core.GetResult token
