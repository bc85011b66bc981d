/// tractor's `actor_spawning_and_causality_with_daemon.py`: a daemon actor serves calls of
/// the functions in its enabled modules until it is cancelled.
module TractorNet.Examples.WithDaemon

open System.Threading.Tasks
open TractorNet

/// This module's .NET full name: what the daemon must enable to run its functions.
let private thisModule = "TractorNet.Examples.WithDaemon"

/// A question asked in a dark theatre, in a tangent (errr, I mean different) process.
let movieTheatreQuestion () : Task<string> =
    task { return $"have you ever seen a portal? ({Actor.name ()} asks)" }

let example =
    { Name = "with-daemon"
      Summary = "A daemon actor 'frank' answers two calls, then is cancelled."
      Run =
        fun _ ->
            task {
                do!
                    nursery {
                        let! portal = startActor ("frank", [ thisModule ])
                        let! answer = portal.Run movieTheatreQuestion
                        printfn $"{answer}"
                        // call the daemon a second time
                        let! answer = portal.Run movieTheatreQuestion
                        printfn $"{answer}"
                        // the nursery would wait for 'frank' forever: cancel it
                        let! acknowledged = portal.CancelActor()
                        printfn $"frank cancelled (acknowledged: {acknowledged})"
                    }
            } }
