/// tractor's `a_trynamic_first_scene.py`: two actors find each other by name with
/// `waitForActor` and talk.
module TractorNet.Examples.ATrynamicFirstScene

open System.Threading.Tasks
open TractorNet

let private theLine = "Hi my name is {0}"

/// Completes once this actor has said its line to the other one.
let private saidMyLine = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

/// Says this actor's line (the other actor calls it).
let hi () : Task<string> =
    task {
        saidMyLine.TrySetResult() |> ignore
        return System.String.Format(theLine, Actor.name ())
    }

/// Becomes discoverable, waits for the other actor, asks for its line, and stays on stage until
/// it has said its own (leaving earlier would cut the other's call short).
let sayHello (otherActor: string) : Task<string> =
    task {
        let! _ = publishActor ()
        let! other = waitForActor otherActor
        let! line = other.Run hi
        do! saidMyLine.Task.WaitAsync CancelScope.CurrentToken
        return line
    }

let example =
    { Name = "a-trynamic-first-scene"
      Summary = "Two actors find each other by name with waitForActor and talk."
      Run =
        fun _ ->
            task {
                let! fromGretchen, fromDonny =
                    nursery {
                        printfn "Alright... Action!"
                        let! donny = runInActor ("donny", fun () -> sayHello "gretchen")
                        let! gretchen = runInActor ("gretchen", fun () -> sayHello "donny")
                        let! g = gretchen.Result()
                        let! d = donny.Result()
                        return g, d
                    }

                printfn $"{fromGretchen}"
                printfn $"{fromDonny}"

                if fromGretchen <> "Hi my name is donny" || fromDonny <> "Hi my name is gretchen" then
                    failwith "the actors did not find each other"

                printfn "CUTTTT CUUTT CUT!!! Donny!! You're supposed to say..."
            } }
