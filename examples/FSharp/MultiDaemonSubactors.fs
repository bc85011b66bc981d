/// tractor's `examples/debugging/multi_daemon_subactors.py`: two daemons, one that pauses forever
/// in a stream loop and one that raises a NameError-like error. Their REPLs take turns on the
/// root's terminal (the lock is first come, first served); the second error climbs to the root,
/// whose post-mortem opens last, once the pausing daemon has been cancelled.
module TractorNet.Examples.MultiDaemonSubactors

open System
open System.Collections.Generic
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.MultiDaemonSubactors"

/// Yields, then pauses, forever.
let breakpointForever () : IAsyncEnumerable<string> =
    taskSeq {
        while true do
            yield "yo"
            do! Debug.pause ()
    }

/// tractor's `getattr(doggypants)`.
let nameError () : Task<unit> =
    task { return raise (MissingMemberException "name 'doggypants' is not defined") }

let example =
    { Name = "multi-daemon-subactors"
      Summary = "Debugger: a daemon pausing forever and a failing one share the terminal (run it in a terminal)."
      Run =
        fun _ ->
            task {
                try
                    do!
                        nursery.With(debugMode = true) {
                            let! p0 = startActor ("bp_forever", [ thisModule ])
                            let! p1 = startActor ("name_error", [ thisModule ])

                            // the first name error is caught here
                            try
                                do! p1.Run nameError
                            with :? RemoteActorError as e when e.BoxedType = typeof<MissingMemberException> ->
                                printfn $"caught the first {e.TypeName} from '{e.Source.Name}'"

                            // the second one propagates to the nursery
                            for _ in p0.OpenStreamFrom breakpointForever do
                                do! p1.Run nameError
                        }

                    failwith "the error was lost"
                with :? RemoteActorError as e when e.Source.Name = "name_error" ->
                    printfn $"the second {e.TypeName} from '{e.Source.Name}' ended the tree"
            } }
