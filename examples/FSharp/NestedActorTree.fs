/// Actors spawn actors: the root starts two branch actors, each starts two leaves. Every leaf
/// reports the chain of actors it ran under; results flow back up the tree, and each nursery
/// reaps its own children before its function returns.
module TractorNet.Examples.NestedActorTree

open System
open System.Threading.Tasks
open TractorNet

let private me () = $"{Actor.name ()}[{Environment.ProcessId}]"

/// A leaf: its chain of ancestors and itself, as "name[pid]".
let leaf (ancestors: string) : Task<string list> =
    task { return [ $"{ancestors} > {me ()}" ] }

/// Starts two children (leaves when `depth` is 1, branches otherwise) at once, and concatenates
/// their results.
let rec branch (depth: int) (ancestors: string) : Task<string list> =
    nursery {
        let here = if ancestors = "" then me () else $"{ancestors} > {me ()}"
        let! n = currentNursery
        let! portals =
            Task.WhenAll
                [ for i in 0..1 ->
                      let name = $"{Actor.name ()}.{i}"
                      if depth = 1 then runInActor (name, fun () -> leaf here) n
                      else runInActor (name, fun () -> branch (depth - 1) here) n ]
        let! results = Task.WhenAll [ for p: Portal<string list> in portals -> p.Result() ]
        return List.concat results
    }

let example =
    { Name = "nested-actor-tree"
      Summary = "root -> 2 branches -> 2 leaves each; results aggregated up the tree."
      Run =
        fun _ ->
            task {
                let! chains = branch 2 ""
                for chain in chains do
                    printfn $"{chain}"
                let pids = chains |> Seq.collect (fun c -> c.Split " > ") |> Seq.distinct |> Seq.length
                printfn $"{chains.Length} leaves answered; {pids} processes in the tree, all reaped"
                if chains.Length <> 4 || pids <> 7 then failwith "expected 4 leaves under 2 branches"
            } }
