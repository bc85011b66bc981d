/// tractor's `single_func.py`: run a function in a new process, burn a core in both, and
/// collect the child's result; the nursery reaps the child before it ends.
module TractorNet.Examples.SingleFunc

open System
open System.Diagnostics
open System.Threading.Tasks
open TractorNet

/// Keeps a core busy for ~200 ms, yielding to the scheduler now and then (like tractor's
/// `trio.sleep` loop); returns the pid it ran in.
let burnCpu () : Task<int> =
    task {
        let sw = Stopwatch.StartNew()
        let mutable spins = 0L

        while sw.ElapsedMilliseconds < 200L do
            spins <- spins + 1L
            if spins % 10_000L = 0L then do! Task.Yield()

        return Environment.ProcessId
    }

let example =
    { Name = "single-func"
      Summary = "Runs a function in a new actor process while the parent burns a core too."
      Run =
        fun _ ->
            task {
                let! pid =
                    nursery {
                        let! p = runInActor burnCpu
                        // burn rubber in the parent too
                        let! _ = burnCpu ()
                        // wait on the result from the target function
                        return! p.Result()
                    }
                // end of the nursery block: the child has been reaped
                if pid = Environment.ProcessId then failwith "the function ran in the parent"
                printfn $"Collected subproc {pid}"
            } }
