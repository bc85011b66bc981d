/// tractor's `we_are_processes.py`: one actor per core, each hanging until cancelled; the root
/// raises and the whole process tree is torn down (no zombies) before the error surfaces.
module TractorNet.Examples.WeAreProcesses

open System
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open TractorNet

/// Announces itself, then sleeps forever (until its actor is cancelled).
let target () : Task<unit> =
    task {
        printfn $"Yo, i'm '{Actor.name ()}' running in pid {Environment.ProcessId}"
        Console.Out.Flush()
        do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
    }

let example =
    { Name = "we-are-processes"
      Summary = "One actor per core; the root raises and the whole tree is reaped."
      Run =
        fun _ ->
            task {
                let sw = Stopwatch.StartNew()
                let pids = Collections.Generic.List<int>()

                try
                    do!
                        nursery {
                            for i in 0 .. Environment.ProcessorCount - 1 do
                                let! p = runInActor ($"worker_{i}", target)
                                pids.Add p.Pid

                            printfn "This process tree will self-destruct in 1 sec..."
                            do! Task.Delay 1000
                            // raise an error in the root actor and trigger reaping of all minions
                            raise (Exception "Self Destructed")
                        }
                with e when e.Message = "Self Destructed" ->
                    let alive = pids |> Seq.filter (fun pid -> IO.Directory.Exists $"/proc/{pid}")
                    if not (Seq.isEmpty alive) then failwith $"zombies left behind: {Seq.toList alive}"
                    printfn $"Zombies Contained ({pids.Count} actors reaped, {sw.ElapsedMilliseconds} ms in all)"
            } }
