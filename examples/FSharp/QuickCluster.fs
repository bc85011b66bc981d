/// tractor's `quick_cluster.py`: a flat cluster of one daemon per core; every worker sleeps
/// until a Ctrl-C-style cancel tears the whole cluster down, and every process is reaped.
module TractorNet.Examples.QuickCluster

open System
open System.IO
open System.Threading.Tasks
open TractorNet

/// This module's .NET full name: what the workers must enable.
let private thisModule = "TractorNet.Examples.QuickCluster"

/// Sleeps until cancelled.
let sleepyJane () : Task<int> =
    task {
        do! Task.Delay(-1, CancelScope.CurrentToken)
        return 0
    }

/// Says who answers.
let whoAmI () : Task<string> =
    task { return $"{Actor.name ()} (pid {Environment.ProcessId})" }

let example =
    { Name = "quick-cluster"
      Summary = "A cluster of one daemon per core sleeps until a Ctrl-C-style cancel tears it down."
      Run =
        fun _ ->
            task {
                let pids = ResizeArray()
                let interrupt = CancelScope()

                let! outcome =
                    CancelScope.run interrupt (fun _ ->
                        openActorCluster (
                            [ thisModule ],
                            fun portals ->
                                task {
                                    for KeyValue(_, portal) in portals do
                                        let! who = portal.Run whoAmI
                                        printfn $"{who} is up"
                                        pids.Add portal.Pid

                                    let sleeping = [ for portal in portals.Values -> portal.Run sleepyJane ]
                                    // Everyone sleeps: now "Ctrl-C" (a cancel of the whole cluster).
                                    interrupt.Cancel()
                                    let! _ = Task.WhenAll sleeping
                                    return ()
                                }
                        ))

                let left = pids |> Seq.filter (fun pid -> Directory.Exists $"/proc/{pid}") |> List.ofSeq

                if outcome.IsSome || not left.IsEmpty || pids.Count <> Environment.ProcessorCount then
                    failwith $"the cluster was not torn down (outcome {outcome}, left {left})"

                printfn $"cancelled: all {pids.Count} workers torn down and reaped"
            } }
