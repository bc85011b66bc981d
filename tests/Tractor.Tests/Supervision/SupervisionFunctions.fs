/// Functions the supervision tests run in supervised actors: daemons' calls, a worker that fails a
/// set number of times (counting its attempts in a file, since each attempt is a new process), and
/// actors that open supervisors of their own.
module TractorNet.Tests.SupervisionFunctions

open System
open System.IO
open System.Threading.Tasks
open TractorNet

/// This module's .NET name, to enable it in daemons.
let moduleName = "TractorNet.Tests.SupervisionFunctions"

let pid () = task { return Environment.ProcessId }

let name () = task { return Actor.name () }

/// Ends the process with `code` (0: a normal exit; other: a failure) while the call is in flight.
let exitWith (code: int) () : Task<int> =
    task {
        do! Task.Yield()
        Environment.Exit code
        return 0
    }

/// Counts one attempt in `counter` (a file) and returns the attempt's number, from 1.
let private attempt (counter: string) =
    // One attempt at a time: the supervisor starts a replacement only after the last one ended.
    let n = (if File.Exists counter then int (File.ReadAllText counter) else 0) + 1
    File.WriteAllText(counter, string n)
    n

/// Fails its first `failures` attempts (counted in `counter`), then returns the attempt's number.
let flaky (counter: string) (failures: int) () : Task<int> =
    task {
        let n = attempt counter

        if n <= failures then
            return invalidOp $"attempt {n} failed"
        else
            return n
    }

/// Returns its attempt number (a permanent child that returns is run again).
let countAttempt (counter: string) () : Task<int> = task { return attempt counter }

/// A supervisor in this actor whose one flaky worker fails `failures` times and which gives up
/// at the first failure: its escalation fails this actor's function, until the worker succeeds.
let nestedSupervisor (counter: string) (failures: int) () : Task<int> =
    supervisorWith (SupervisorOptions(MaxRestarts = 0)) {
        let! w = superviseRun ("grandchild", RestartType.Transient, flaky counter failures)
        return! w.Result()
    }

/// A nursery in this actor running the flaky worker once, unsupervised.
let nestedNursery (counter: string) (failures: int) () : Task<int> =
    nursery {
        let! w = runInActor ("grandchild", flaky counter failures)
        return! w.Result()
    }
