/// tractor's `asynchronous_generators.py`: a `taskSeq { }` generator runs in another actor and
/// its items are iterated here, in order, with backpressure. Breaking out of the loop early
/// cancels the remote generator (its `finally` runs) and waits for it.
module TractorNet.Examples.AsynchronousGenerators

open System.Collections.Generic
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.AsynchronousGenerators"

/// Whether the generator's `finally` ran, in the actor that ran it.
let mutable private closed = false

/// Runs forever in the daemon; every yielded value is sent to the caller.
let streamForever () : IAsyncEnumerable<string> =
    taskSeq {
        let! token = TaskSeq.cancellationToken // cancelled when the caller breaks out

        try
            while true do
                yield "I can see these little future bubble things"
                do! Task.Delay(1, token)
        finally
            closed <- true
    }

/// Whether the generator was closed, asked of the daemon.
let wasClosed () = task { return closed }

/// Iterates the remote generator and breaks out after ten items.
let private tenItems (portal: Portal) =
    task {
        let mutable count = 0

        // TaskSeq.take breaks out after 10 items: the remote generator is cancelled
        for letter in TaskSeq.take 10 (portal.OpenStreamFrom streamForever) do
            count <- count + 1
            printfn $"{count, 2}: {letter}"

        // leaving the loop waited for the generator's end
        let! closed = portal.Run wasClosed
        printfn $"broke out after {count} items; the generator in '{portal.Name}' was closed: {closed}"
        if count <> 10 || not closed then failwith "expected the generator closed after 10 items"
    }

let example =
    { Name = "asynchronous-generators"
      Summary = "A remote taskSeq { } generator iterated here; breaking out cancels it."
      Run =
        fun _ ->
            nursery {
                let! portal = startActor ("donny", [ thisModule ])
                do! tenItems portal
                let! _ = portal.CancelActor()
                return ()
            } }
