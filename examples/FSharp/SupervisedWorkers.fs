/// Supervisors (no tractor example: tractor's oldest open wish, its issue #22): a flaky worker is
/// restarted one-for-one, each time in a new process, until it succeeds; a steady sibling is left
/// alone. Every event reaches the log and the supervisor's event stream.
module TractorNet.Examples.SupervisedWorkers

open System
open System.IO
open System.Threading.Tasks
open TractorNet

/// Fails its first two attempts, then returns the attempt's number. Each attempt runs in a new
/// process, so the attempts are counted in a file.
let flakyWorker (counter: string) () : Task<int> =
    task {
        let attempt = (if File.Exists counter then int (File.ReadAllText counter) else 0) + 1
        File.WriteAllText(counter, string attempt)

        if attempt < 3 then
            failwith $"flaky worker crashed on attempt {attempt}"

        return attempt
    }

/// Does its job at the first attempt.
let steadyWorker () : Task<string> = task { return $"steady worker done in pid {Environment.ProcessId}" }

let example =
    { Name = "supervised-workers"
      Summary = "A flaky worker restarted one-for-one by a supervisor until it succeeds."
      Run =
        fun _ ->
            task {
                let counter = Path.Combine(Path.GetTempPath(), $"supervised-workers-{Guid.NewGuid():N}")
                let policy = SupervisorOptions(Strategy = SupervisionStrategy.OneForOne, MaxRestarts = 5)

                try
                    let! attempts, steady =
                        supervisorWith policy {
                            let! s = currentSupervisor
                            s.Events.Subscribe(fun (e: SupervisorEvent) -> printfn $"  event: {e}") |> ignore
                            let! flaky = superviseRun ("flaky", RestartType.Transient, flakyWorker counter)
                            let! steady = superviseRun steadyWorker
                            let! attempts = flaky.Result()
                            let! steady = steady.Result()
                            return attempts, steady
                        }

                    printfn $"flaky worker succeeded on attempt {attempts}; {steady}"

                    if attempts <> 3 then
                        failwith $"expected success on the third attempt, got {attempts}"
                finally
                    File.Delete counter
            } }
