/// tractor's `examples/debugging/subactor_breakpoint.py`: a child pauses in a loop; each pause
/// takes the tree's terminal lock and opens a REPL on the root's terminal (`c` continues, `q`
/// raises DebuggerQuitError, which climbs to the root like any error). tractor's loop is endless;
/// this one pauses three times and returns, so the example ends with exit code 0.
module TractorNet.Examples.SubactorBreakpoint

open System.Threading.Tasks
open TractorNet

/// Pauses three times, giving the REPL the loop counter (`p i`, `args`).
let breakpointForever () : Task<int> =
    task {
        for i in 1..3 do
            do! Task.Delay 100
            do! Debug.pause [ "i", box i ]

        return 3
    }

let example =
    { Name = "subactor-breakpoint"
      Summary = "Debugger: a child pauses three times; each 'c' continues (run it in a terminal)."
      Run =
        fun _ ->
            task {
                try
                    let! pauses =
                        nursery.With(debugMode = true) {
                            let! p = runInActor ("breakpoint_forever", breakpointForever)
                            return! p.Result()
                        }

                    printfn $"breakpoint_forever paused {pauses} times and returned"
                with :? RemoteActorError as e when e.BoxedType = typeof<DebuggerQuitError> ->
                    // 'q' in the child's REPL: the tree ended with the error, as it would with any
                    eprintfn $"{e.Message}"
                    exit 1
            } }
