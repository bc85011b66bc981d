/// Supervisor benchmark: from a supervised daemon's crash to its replacement serving a call
/// through the same portal (the supervisor notices the death, reaps it, spawns and connects a new
/// process, re-points the portal). Baseline: `spawn.cold` measured in the same run (a fresh actor
/// to its first result), the floor of any restart.
module TractorNet.Bench.SupervisorBench

open System
open System.Diagnostics
open System.Threading.Tasks
open TractorNet
open TractorNet.Bench.Report

/// The module the supervised daemon enables.
let private thisModule = "TractorNet.Bench.SupervisorBench"

/// Ends the actor's process with a failure status, under the call.
let crash () : Task<int> =
    task {
        do! Task.Yield()
        Environment.Exit 3
        return 0
    }

let ping () : Task<int> = Task.FromResult 1

/// One crash and the first call the replacement answers (ms). A call that reaches the dead
/// process before the supervisor has seen the death fails with it: the clock runs on, and the
/// next call waits at the portal for the replacement.
let private restartOnce (p: Portal) : Task<float> =
    task {
        let t0 = Stopwatch.GetTimestamp()

        try
            let! _ = p.Run crash
            failwith "the crash call returned"
        with :? ActorDiedError ->
            ()

        let mutable served = false

        while not served do
            try
                let! v = p.Run ping
                served <- v = 1
            with :? ActorDiedError ->
                ()

        return ActorBench.elapsedMs t0
    }

let private supervisorRestart quick =
    task {
        let samples = if quick then 8 else 30
        let warmup = if quick then 3 else 10
        let policy = SupervisorOptions(MaxRestarts = 10_000, Within = TimeSpan.FromSeconds 1.0).WithoutBackoff()
        let restart = ResizeArray()
        let cold = ResizeArray()

        do!
            supervisorWith policy {
                let! s = currentSupervisor
                let! p = superviseActor ("restarted", [ thisModule ])

                for _ in 1..warmup do
                    let! _ = restartOnce p
                    let! _ = ActorBench.coldSpawnOnce ()
                    ()

                // Alternate the two so machine noise hits both alike.
                for _ in 1..samples do
                    let! r = restartOnce p
                    restart.Add r
                    let! c = ActorBench.coldSpawnOnce ()
                    cold.Add c

                s.Cancel()
            }

        emit { Bench = "supervisor.restart"; Value = median restart; Unit = "ms"; Baseline = Some(median cold) }
    }

/// The supervisor scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list = [ ActorBench.scenario "supervisor.restart" supervisorRestart ]
