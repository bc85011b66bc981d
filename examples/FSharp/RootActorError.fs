/// tractor's `examples/debugging/root_actor_error.py`: an error in the root actor's nursery opens
/// the crash REPL in the root (`ex`, `bt`); `c` or `q` lets it propagate. The example then checks
/// it got its own error back.
module TractorNet.Examples.RootActorError

open System
open TractorNet

let example =
    { Name = "root-actor-error"
      Summary = "Debugger: the root actor fails; its post-mortem REPL opens (run it in a terminal)."
      Run =
        fun _ ->
            task {
                try
                    do!
                        nursery.With(debugMode = true) {
                            // tractor's `assert 0`
                            if DateTime.Now.Year > 0 then
                                raise (InvalidOperationException "assert 0")
                        }

                    failwith "the root's error was lost"
                with :? InvalidOperationException as e when e.Message = "assert 0" ->
                    printfn $"the root's error propagated after its post-mortem: {e.Message}"
            } }
