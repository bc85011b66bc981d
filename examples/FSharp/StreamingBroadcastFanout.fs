/// Fan-out of one remote stream to several local tasks (tractor's `MsgStream.subscribe()`):
/// each subscription gets its own copy of every item; the remote generator runs once, paced by
/// the fastest reader. A subscriber more than the buffer behind the fastest gets `LaggedError`
/// instead of holding the others back.
module TractorNet.Examples.StreamingBroadcastFanout

open System.Collections.Generic
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.StreamingBroadcastFanout"

/// Quotes from a ticker, 1..count.
let ticks (count: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 1..count do
            yield i
    }

/// Three local tasks, each with its own subscription to one run of the ticker.
let private fanOut (portal: Portal) =
    task {
        let stream = portal.OpenStreamFrom(fun () -> ticks 100)
        // subscribe all before reading: a subscription sees the items arriving after it
        let subscriptions = [ for _ in 1..3 -> stream.Subscribe() ]

        let! seen =
            Task.WhenAll
                [ for sub in subscriptions ->
                      task {
                          use sub = sub // the last one out ends the remote generator
                          return! TaskSeq.toListAsync sub
                      } ]

        for i, items in Array.indexed seen do
            printfn $"task {i}: {items.Length} items, sum {List.sum items}"

        if seen |> Array.exists (fun items -> items <> [ 1..100 ]) then failwith "every task should see every item"
    }

/// A subscriber that falls more than its buffer (16) behind the fastest gets LaggedError.
let private lagging (portal: Portal) =
    task {
        let stream = portal.OpenStreamFrom(fun () -> ticks 100)
        use fast = stream.Subscribe 16
        use slow = stream.Subscribe 16
        let! all = TaskSeq.toListAsync fast // the slow one has read nothing meanwhile

        try
            let! _ = TaskSeq.toListAsync slow
            failwith "expected LaggedError"
        with :? LaggedError as e ->
            printfn $"fast read {all.Length} items; slow lagged: missed {e.Missed}"
    }

let example =
    { Name = "streaming-broadcast-fanout"
      Summary = "stream.Subscribe(): one remote stream fanned out to three local tasks; lagging."
      Run =
        fun _ ->
            nursery {
                let! portal = startActor ("ticker", [ thisModule ])
                do! fanOut portal
                do! lagging portal
                let! _ = portal.CancelActor()
                return ()
            } }
