/// tractor's `infected_asyncio_echo_server.py`: an echo server written as foreign (unstructured) Task code, bridged
/// into a daemon actor with `openChannelFrom`. The caller streams 1000 numbers through a context; the actor hands each
/// to the foreign task and streams its echo back. Prints the mean round trip rate.
module TractorNet.Examples.ForeignEchoServer

open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.ForeignEchoServer"

/// The foreign side: plain Task code. Its first message unblocks the structured side; then it echoes forever,
/// until the structured side cancels its token.
let foreignEcho (chan: ForeignEnd<string, int, int>) (_: CancellationToken) : Task<unit> =
    task {
        chan.Started "start"

        while true do
            let! msg = chan.ReceiveAsync()
            do! chan.SendAsync msg
    }

/// The actor's context: bridges the caller's stream to the foreign echo server and back.
let echoThroughForeign (ctx: Context<string>) : Task<int> =
    openChannelFrom foreignEcho (fun first chan ->
        task {
            do! ctx.Started first
            use stream = ctx.OpenStream<int, int>()
            let mutable served = 0

            for msg in stream do
                do! chan.SendAsync msg
                let! echoed = chan.ReceiveAsync()
                do! stream.Send echoed
                served <- served + 1

            return served
        })

let private rounds = 1000

let example =
    { Name = "foreign-echo-server"
      Summary = "Foreign Task code as an echo server inside an actor (openChannelFrom); mean round trip rate."
      Run =
        fun _ ->
            nursery {
                let! portal = startActor ("foreign_server", [ thisModule ])
                let! ctx, first = portal.OpenContext echoThroughForeign
                use _ = ctx
                if first <> "start" then failwith $"expected the foreign side's first message, got {first}"
                use stream = ctx.OpenStream<int, int>()
                let replies = stream.GetAsyncEnumerator CancellationToken.None
                let clock = Stopwatch.StartNew()

                for count in 0 .. rounds - 1 do
                    do! stream.Send count
                    let! more = replies.MoveNextAsync()
                    if not more || replies.Current <> count then failwith $"expected the echo of {count}"

                let seconds = clock.Elapsed.TotalSeconds
                do! stream.Stop()
                let! served = ctx.Result()
                if served <> rounds then failwith $"the server echoed {served}, expected {rounds}"
                printfn $"mean round trip rate (Hz): {float rounds / seconds:F0}"
                let! _ = portal.CancelActor()
                return ()
            } }
