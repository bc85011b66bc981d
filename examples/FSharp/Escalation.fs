/// Supervisors (no tractor example: tractor's issue #22): a worker that always fails exhausts its
/// supervisor's restart intensity; the supervisor stops its children and escalates the last error
/// to the enclosing nursery, as an ordinary error, which cancels the nursery's other actor and
/// reaches the root.
module TractorNet.Examples.Escalation

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// Always fails.
let doomedWorker () : Task<int> = task { return failwith $"doomed worker failed in pid {Environment.ProcessId}" }

/// Runs until cancelled.
let bystander () : Task<int> =
    task {
        do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
        return 0
    }

let example =
    { Name = "escalation"
      Summary = "A supervisor exceeds its restart intensity and escalates the error to the root."
      Run =
        fun _ ->
            task {
                let policy = SupervisorOptions(MaxRestarts = 2, Within = TimeSpan.FromSeconds 10.0)
                let mutable escalations = 0

                let! outcome =
                    task {
                        try
                            do!
                                nursery {
                                    let! _ = runInActor bystander // cancelled by the escalation

                                    let! _ =
                                        supervisorWith policy {
                                            let! s = currentSupervisor

                                            s.Events.Subscribe(fun (e: SupervisorEvent) ->
                                                printfn $"  event: {e}"
                                                if e.Kind = SupervisorEventKind.Escalated then escalations <- escalations + 1)
                                            |> ignore

                                            let! w = superviseRun ("doomed", RestartType.Permanent, doomedWorker)
                                            return! w.Result()
                                        }

                                    return ()
                                }

                            return None
                        with :? RemoteActorError as e ->
                            return Some e
                    }

                match outcome with
                | Some e when escalations = 1 -> printfn $"the root caught the escalated error: {e.Message}"
                | Some e -> failwith $"the error arrived without an escalation event: {e.Message}"
                | None -> failwith "the supervisor did not escalate"
            } }
