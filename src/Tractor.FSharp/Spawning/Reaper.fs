namespace TractorNet.Spawning

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// How a child process ended when it was reaped.
type internal ReapOutcome =
    /// It had already exited, or exited after the graceful request.
    | Exited
    /// It needed SIGTERM.
    | Terminated
    /// It needed SIGKILL.
    | Killed

module internal Reaper =
    let private exitedWithin (child: ChildProcess) (limit: TimeSpan) =
        task {
            if child.HasExited then
                return true
            else
                let! first = Task.WhenAny(child.Exited, Task.Delay limit)
                return obj.ReferenceEquals(first, child.Exited)
        }

    /// Walks the ladder until the process is gone; `askCancel` sends the graceful request (it may
    /// fail or never be answered: the ladder does not depend on it).
    let reap (ladder: CancelLadder) (askCancel: unit -> Task) (child: ChildProcess) : Task<ReapOutcome> =
        task {
            if child.HasExited then
                return Exited
            else
                // The request is fire-and-forget: a dead or stuck peer must not delay the ladder.
                (task {
                    try
                        do! askCancel ()
                    with _ ->
                        ()
                 })
                |> ignore

                let! gone = exitedWithin child ladder.Graceful

                if gone then
                    return Exited
                else
                    child.Signal Native.SIGTERM |> ignore
                    let! gone = exitedWithin child ladder.Terminate

                    if gone then
                        return Terminated
                    else
                        child.Signal Native.SIGKILL |> ignore
                        do! child.Exited
                        return Killed
        }
