/// tractor's `actor_spawning_and_causality.py`: the nursery block does not end until the
/// child's function has completed, so its result is ready afterwards.
module TractorNet.Examples.ActorSpawningAndCausality

open System.Threading.Tasks
open TractorNet

/// Runs in the child actor, never in the root.
let cellarDoor () : Task<string> =
    task {
        if Actor.isRoot () then failwith "cellarDoor ran in the root actor"
        return "Dang that's beautiful"
    }

let example =
    { Name = "actor-spawning-and-causality"
      Summary = "runInActor; the nursery's end waits for the child, then the result is read."
      Run =
        fun _ ->
            task {
                let! portal =
                    nursery {
                        let! portal = runInActor ("some_linguist", cellarDoor)
                        return portal
                    }
                // The nursery has ended: 'some_linguist' completed its function and was reaped.
                let! said = portal.Result()
                printfn $"{said}"
            } }
