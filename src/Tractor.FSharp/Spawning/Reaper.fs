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
    /// fail or never be answered: the ladder does not depend on it). Before each escalation the
    /// ladder awaits `hold ()` (debug mode: the child holds the terminal lock), and gives the
    /// child its graceful time again after a hold.
    let reap (ladder: CancelLadder) (askCancel: unit -> Task) (hold: unit -> Task) (child: ChildProcess) : Task<ReapOutcome> =
        let exitedAfterHold () =
            task {
                let held = hold ()

                if held.IsCompleted then
                    return false
                else
                    do! held
                    return! exitedWithin child ladder.Graceful
            }

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
                let! gone = if gone then Task.FromResult true else exitedAfterHold ()

                if gone then
                    return Exited
                else
                    child.Signal Native.SIGTERM |> ignore
                    let! gone = exitedWithin child ladder.Terminate
                    let! gone = if gone then Task.FromResult true else exitedAfterHold ()

                    if gone then
                        return Terminated
                    else
                        child.Signal Native.SIGKILL |> ignore
                        do! child.Exited
                        return Killed
        }
