/// Foreign async benchmark: the echo server of the `foreign-echo-server` example (a context whose messages go through
/// openChannelFrom to foreign Task code and back), beside the same context echoing directly, interleaved on one
/// daemon: the ratio is what the bridge costs per round trip.
module TractorNet.Bench.ForeignBench

open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Bench.Report

let private thisModule = "TractorNet.Bench.ForeignBench"

/// The foreign side: echoes until its token is cancelled.
let foreignEcho (chan: ForeignEnd<int, int, int>) (_: CancellationToken) : Task<unit> =
    task {
        chan.Started 0

        while true do
            let! v = chan.ReceiveAsync()
            do! chan.SendAsync v
    }

/// Echoes every int of the context's stream through the foreign task; returns how many.
let echoThroughForeign (ctx: Context<int>) : Task<int> =
    openChannelFrom foreignEcho (fun first chan ->
        task {
            do! ctx.Started first
            use stream = ctx.OpenStream<int, int>()
            let mutable n = 0

            for x in stream do
                do! chan.SendAsync x
                let! y = chan.ReceiveAsync()
                do! stream.Send y
                n <- n + 1

            return n
        })

/// 100 checked round trips on an open context's stream, as a batch.
let private echoBatch (stream: MsgStream<int, int>) : ChannelBench.Batch =
    let e = stream.GetAsyncEnumerator CancellationToken.None
    let mutable next = 0

    fun () ->
        task {
            for _ in 1..100 do
                next <- next + 1
                do! stream.Send next
                let! more = e.MoveNextAsync()

                if not more || e.Current <> next then
                    failwith $"echo of {next} went missing"

            return 100L
        }

/// Round trips per second through the foreign echo, beside the direct context echo (context.pingpong's callee).
let private foreignEchoBench quick =
    task {
        let! value, direct =
            nursery {
                let! d = startActor ("foreign_echo", [ thisModule; "TractorNet.Bench.StreamBench" ])
                let! viaForeign, _ = d.OpenContext echoThroughForeign
                let! plain, _ = d.OpenContext StreamBench.echoInts
                let a = echoBatch (viaForeign.OpenStream<int, int>())
                let b = echoBatch (plain.OpenStream<int, int>())
                do! StreamBench.warmUp quick a b
                let! rates = ChannelBench.interleave quick a b
                do! viaForeign.DisposeAsync()
                do! plain.DisposeAsync()
                let! _ = d.CancelActor()
                return rates
            }

        emit { Bench = "foreign.echo"; Value = value; Unit = "round trips/s"; Baseline = Some direct }
    }

/// The foreign scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list = [ "foreign.echo", foreignEchoBench ]
