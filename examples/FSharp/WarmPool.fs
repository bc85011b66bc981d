/// tractor's `start_method` (Python's forkserver, in spirit): a nursery whose actors come from a
/// warm pool of pre-started processes, handed an identity on demand; a burst of short-lived
/// actors pays no .NET start each. One actor of an ordinary nursery can come from the pool too.
module TractorNet.Examples.WarmPool

open System
open System.Diagnostics
open System.Threading.Tasks
open TractorNet

/// A short piece of work: the square of `x`, and the pid it ran in.
let square (x: int) () : Task<int * int> = task { return x * x, Environment.ProcessId }

let example =
    { Name = "warm-pool"
      Summary = "Runs ten short actors from a warm pool of three pre-started processes."
      Run =
        fun _ ->
            task {
                let! results, ms =
                    nursery.With(spawnMethod = SpawnMethod.WarmPool, poolSize = 3) {
                        let! n = currentNursery
                        // Wait until three processes are warm (they start as the nursery opens).
                        do! n.FillPoolAsync()
                        let sw = Stopwatch.StartNew()
                        let results = ResizeArray()

                        for x in 1..10 do
                            let! p = runInActor (square x)
                            let! r = p.Result()
                            results.Add r

                        return List.ofSeq results, sw.Elapsed.TotalMilliseconds
                    }
                // The nursery has ended: every actor and every idle pooled process has been reaped.
                let squares = results |> List.map fst
                let pids = results |> List.map snd |> List.distinct
                printfn $"""squares [{String.Join("; ", squares)}] from {pids.Length} pooled processes in {ms:F0} ms"""

                if squares <> [ for x in 1..10 -> x * x ] then failwith "wrong squares"
                if pids.Length <> 10 || List.contains Environment.ProcessId pids then failwith "each actor should run in a process of its own"

                // A per-actor choice: this nursery starts new processes, except for this one actor.
                let! pooledPid =
                    nursery {
                        let! p = spawnWith (SpawnMethod.WarmPool, runInActor (square 12))
                        let! (_, pid) = p.Result()
                        return pid
                    }

                printfn $"one pooled actor in an ordinary nursery: pid {pooledPid}"
            } }
