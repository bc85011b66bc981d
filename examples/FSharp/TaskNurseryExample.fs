module TractorNet.Examples.TaskNurseryExample

open System
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open TractorNet

/// A worker that takes `ms` to finish, unless the nursery cancels it first.
let private worker (name: string) (ms: int) (ct: CancellationToken) =
    task {
        try
            do! Task.Delay(ms, ct)
            printfn $"  {name}: finished"
        with :? OperationCanceledException ->
            printfn $"  {name}: cancelled"
            // Cleanup that must finish even though we are being cancelled: shielded, with its own deadline.
            do! CancelScope.shield (fun _ -> task { do! Task.Delay 20 })
            printfn $"  {name}: cleaned up"
            raise (OperationCanceledException ct)
    }

let private failing (ms: int) (ct: CancellationToken) : Task<unit> =
    task {
        do! Task.Delay(ms, ct)
        printfn "  flaky: failing"
        return raise (InvalidOperationException "flaky worker gave up")
    }

let example =
    { Name = "task-nursery"
      Summary = "Several tasks in a nursery; one fails, the others are cancelled and awaited."
      Run =
        fun _ ->
            task {
                let sw = Stopwatch.StartNew()
                try
                    do!
                        TaskNursery.run (fun n -> task {
                            n.StartSoon(worker "fast" 10)
                            n.StartSoon(worker "slow" 10_000)
                            n.StartSoon(worker "slower" 20_000)
                            n.StartSoon(failing 50)
                            printfn "body: started 4 tasks" })
                    failwith "the nursery should have raised the worker's error"
                with :? InvalidOperationException as e ->
                    printfn $"nursery raised: {e.Message} (after {sw.ElapsedMilliseconds} ms, every task ended)"
                    if sw.Elapsed > TimeSpan.FromSeconds 5.0 then
                        failwith "the slow tasks were not cancelled"
            } }
