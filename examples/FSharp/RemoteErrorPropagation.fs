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

/// The leaf errors inside whatever the nursery raised.
let rec private leaves (e: exn) : exn list =
    match e with
    | :? AggregateException as a -> a.InnerExceptions |> Seq.collect leaves |> List.ofSeq
    | e -> [ e ]

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
                    let errors = leaves e
                    let remote = errors |> List.choose (function :? RemoteActorError as r -> Some r | _ -> None)
                    printfn $"the root caught {e.GetType().Name} with {remote.Length} remote error(s):"
                    for r in remote |> List.sortBy (fun r -> r.Source.Name) do
                        printfn $"  from '{r.Source.Name}': {r.TypeName}: {r.RemoteMessage}"
                    // Anything else would be a teardown artefact, not one of the actors' errors.
                    for other in errors |> List.filter (fun e -> not (e :? RemoteActorError)) do
                        printfn $"  unexpected: {other.GetType().Name}: {other.Message}"
                    if remote.IsEmpty || remote.Length < errors.Length then raise e
            } }
