/// tractor's `examples/debugging/multi_nested_subactors_error_up_through_nurseries.py`, one
/// branch: root -> spawn_until_0 -> name_error. The error opens the crash REPL in name_error,
/// then, as a RemoteActorError, in spawn_until_0, then in the root: three post-mortems, one per
/// level, each after the one below was continued.
module TractorNet.Examples.NestedSubactorError

open System
open System.Threading.Tasks
open TractorNet

/// tractor's `getattr(doggypants)`: .NET's nearest to Python's NameError.
let nameError () : Task<unit> =
    task { return raise (MissingMemberException "name 'doggypants' is not defined") }

/// A nursery that runs `name_error` and waits for its result (which fails).
let spawnUntil (depth: int) : Task<unit> =
    nursery {
        let! p = runInActor ("name_error", nameError)
        return! p.Result()
    }

let example =
    { Name = "nested-subactor-error"
      Summary = "Debugger: an error's post-mortem REPL opens at each level it climbs (run it in a terminal)."
      Run =
        fun _ ->
            task {
                try
                    do!
                        nursery.With(debugMode = true) {
                            let! p = runInActor ("spawn_until_0", fun () -> spawnUntil 0)
                            return! p.Result()
                        }

                    failwith "the error was lost"
                with :? RemoteActorError as e when e.Source.Name = "name_error" ->
                    let path = String.Join(" -> ", e.RelayPath |> Seq.map _.Name)
                    printfn $"{e.TypeName} from '{e.Source.Name}' via {path}: {e.RemoteMessage}"

                    if e.TypeName <> typeof<MissingMemberException>.FullName then
                        failwith "expected the name error"
            } }
