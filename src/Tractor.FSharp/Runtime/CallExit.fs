namespace TractorNet.Runtime

open System.Threading.Tasks
open TractorNet

/// How a context or stream call's end is judged at its exit (caller side).
module internal CallExit =
    /// Raises the call's error at exit unless it was this side's own cancellation, a broken
    /// connection after this side asked to cancel, or already raised to this side's code. A
    /// stream overrun in this side's buffer failed the context whatever the function did after
    /// (its end is a consequence): that is raised instead. The peer's overrun arrives as its
    /// outcome (a `RemoteActorError` boxing `StreamOverrunError`).
    let check (ep: ContextEndpoint) (o: CallOutcome) =
        match o with
        | _ when ep.FailedHere -> if not ep.FailureObserved then raise ep.Failure
        | Returned _ -> ()
        | CancelledBy(who, _) when who = ep.Self -> ()
        | Broken _ when ep.CancelRequested -> ()
        | _ when ep.Observed -> ()
        | _ -> raise ep.OutcomeError

    /// Cancels the call unless it ended, waits for its end, and judges it.
    let close (ep: ContextEndpoint) : Task =
        task {
            if not ep.Outcome.IsCompleted then
                ep.Leave()
                ep.RequestCancel()

            let! o = ep.Outcome
            ep.Release()
            check ep o
        }
