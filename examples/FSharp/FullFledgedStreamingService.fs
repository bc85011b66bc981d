/// tractor's `full_fledged_streaming_service.py`: two streamer actors each stream 0..seed-1 to
/// an aggregator actor, which merges them, drops the duplicates and streams the unique values
/// up to the root over a context. The aggregator's own nursery reaps its streamers.
module TractorNet.Examples.FullFledgedStreamingService

open System.Collections.Generic
open System.Diagnostics
open System.Threading.Channels
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.FullFledgedStreamingService"

/// A streamer's generator.
let streamData (seed: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. seed - 1 do
            yield i
    }

/// Merges the streamers' streams into one channel and sends each value on the first time it is
/// seen (adding it to `seen`).
let private forwardUnique (streamers: Portal[]) (seed: int) (seen: HashSet<int>) (stream: MsgStream<int, unit>) =
    TaskNursery.run (fun n ->
        task {
            let merged = Channel.CreateBounded<int> 500 // backpressure on both streamers

            let pushers =
                [ for p in streamers ->
                      n.StartChild(fun ct ->
                          task {
                              for value in p.OpenStreamFrom(fun () -> streamData seed) do
                                  do! merged.Writer.WriteAsync(value, ct)
                          }) ]

            n.StartSoon(fun _ ->
                task {
                    let! _ = Task.WhenAll pushers
                    merged.Writer.Complete()
                })

            for value in merged.Reader.ReadAllAsync n.Token do
                if seen.Add value then do! stream.Send value
        })

/// The aggregator: a context function that starts its streamers, signals how many, streams the
/// unique values to the caller, and returns how many it sent.
let aggregate (ctx: Context<int>) (seed: int) : Task<int> =
    nursery {
        let! n = currentNursery
        let spawn i = startActor ($"streamer_{i}", [ thisModule ]) n
        let! (streamers: Portal[]) = Task.WhenAll [ for i in 1..2 -> spawn i ]
        do! ctx.Started streamers.Length
        let seen = HashSet<int>()
        use stream = ctx.OpenStream<int, unit>()
        do! forwardUnique streamers seed seen stream

        let! _ = Task.WhenAll [ for p in streamers -> p.CancelActor() ]
        return seen.Count
    }

/// The root's side: every unique value, in order.
let private consume (aggregator: Portal) (seed: int) =
    task {
        let clock = Stopwatch.StartNew()
        let! ctx, streamers = aggregator.OpenContext(aggregate, seed)
        use _ = ctx
        printfn $"the aggregator is up over {streamers} streamers"
        use stream = ctx.OpenStream<unit, int>()
        let! values = TaskSeq.toListAsync stream // ends when the aggregator returns
        let! sent = ctx.Result()
        let seconds = clock.Elapsed.TotalSeconds
        printfn $"received {values.Length} unique values in {seconds:F2} s; the aggregator sent {sent}"
        if values <> [ 0 .. seed - 1 ] || sent <> seed then failwith "expected every value once, in order"
    }

let example =
    { Name = "full-fledged-streaming-service"
      Summary = "Two streamers feed an aggregator actor, which streams unique values to the root."
      Run =
        fun _ ->
            nursery {
                let! aggregator = startActor ("aggregator", [ thisModule ])
                do! consume aggregator 1000
                let! _ = aggregator.CancelActor()
                return ()
            } }
