/// tractor's `remote_error_propagation.py`, with several failures at once: three daemon actors
/// each raise a different error; the root's nursery cancels everything, reaps every process and
/// raises all the errors together, each a RemoteActorError naming its source actor.
module TractorNet.Examples.RemoteErrorPropagation

open System
open System.Collections.Generic
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.RemoteErrorPropagation"

/// Fails at once, with an error type that depends on `which`.
let assertErr (which: int) : Task<unit> =
    task {
        match which with
        | 0 -> return raise (InvalidOperationException $"assert failed in {Actor.name ()}")
        | 1 -> return raise (ArgumentOutOfRangeException("which", $"no good in {Actor.name ()}"))
        | _ -> return raise (KeyNotFoundException $"nothing here in {Actor.name ()}")
    }

/// The RemoteActorErrors inside whatever the nursery raised.
let rec private remoteErrors (e: exn) : RemoteActorError list =
    match e with
    | :? RemoteActorError as r -> [ r ]
    | :? AggregateException as a -> a.InnerExceptions |> Seq.collect remoteErrors |> List.ofSeq
    | _ -> []

let example =
    { Name = "remote-error-propagation"
      Summary = "Three actors raise; the root gets every error with its source actor."
      Run =
        fun _ ->
            task {
                try
                    do!
                        nursery {
                            let! n = currentNursery
                            let! actors =
                                Task.WhenAll [ for i in 0..2 -> startActor ($"actor_{i}", [ thisModule ]) n ]
                            // Every call is sent before any error comes back, so each actor raises.
                            for i, (portal: Portal) in Seq.indexed actors do
                                n.Tasks.StartSoon(fun _ -> portal.Run(fun () -> assertErr i))
                            // The nursery now waits; the first error cancels the daemons.
                        }
                    failwith "the nursery should have raised"
                with e ->
                    let errors = remoteErrors e
                    if errors.IsEmpty then raise e
                    printfn $"the root caught {e.GetType().Name} with {errors.Length} remote error(s):"
                    for r in errors |> List.sortBy (fun r -> r.Source.Name) do
                        printfn $"  from '{r.Source.Name}': {r.TypeName}: {r.RemoteMessage}"
            } }
