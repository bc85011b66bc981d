/// tractor's `multiple_streams_one_portal.py`: several streams at once over one portal. Three
/// tasks each iterate their own run of a remote generator while two more hold a two-way context
/// with the same actor; every stream gets all of its own items, in order.
module TractorNet.Examples.MultipleStreamsOnePortal

open System
open System.Collections.Generic
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.MultipleStreamsOnePortal"

/// A one-way stream of 0..seed-1 (each iteration runs it anew).
let streamData (seed: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. seed - 1 do
            yield i
    }

/// Echoes every item back with its tag until the caller stops; returns how many.
let echo (ctx: Context<string>) (tag: string) : Task<int> =
    task {
        do! ctx.Started tag
        use stream = ctx.OpenStream<string, string>()
        let mutable count = 0

        for msg in stream do
            do! stream.Send $"{tag}{msg}"
            count <- count + 1

        return count
    }

// The tasks print concurrently: Console.WriteLine writes a whole line at once (printfn may not).

/// One task's one-way stream: every item, in order.
let private oneWay (portal: Portal) (i: int) =
    task {
        let! items = TaskSeq.toListAsync (portal.OpenStreamFrom(fun () -> streamData 1000))
        Console.WriteLine $"stream {i}: {items.Length} items, in order: {items = [ 0..999 ]}"
        if items <> [ 0..999 ] then failwith $"stream {i} lost or reordered items"
    }

/// One task's context: sends 100 words, stops, reads the 100 echoes, then the count.
let private twoWay (portal: Portal) (i: int) =
    task {
        let! ctx, tag = portal.OpenContext(echo, $"ctx{i}:")
        use _ = ctx
        use stream = ctx.OpenStream<string, string>()

        for n in 1..100 do // the echoes wait in our buffer (up to 256) until we read them
            do! stream.Send(string n)

        do! stream.Stop()
        let! echoes = TaskSeq.toListAsync stream
        let! count = ctx.Result()
        let expected = [ for n in 1..100 -> $"{tag}{n}" ]
        Console.WriteLine $"context {i}: {count} echoes, in order: {echoes = expected}"
        if echoes <> expected || count <> 100 then failwith $"context {i} lost items"
    }

let example =
    { Name = "multiple-streams-one-portal"
      Summary = "Three one-way streams and two contexts at once over one portal."
      Run =
        fun _ ->
            nursery {
                let! portal = startActor ("stream_boi", [ thisModule ])

                do!
                    TaskNursery.run (fun n ->
                        task {
                            for i in 1..3 do
                                n.StartSoon(fun _ -> oneWay portal i)

                            for i in 1..2 do
                                n.StartSoon(fun _ -> twoWay portal i)
                        })

                let! _ = portal.CancelActor()
                return ()
            } }
