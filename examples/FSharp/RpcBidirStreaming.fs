/// tractor's `rpc_bidir_streaming.py`: a context with a two-way stream. The callee signals
/// `Started` (like trio's `task_status.started()`), then answers every ping with a pong; the
/// caller sends ten pings, stops its side, and reads the function's result.
module TractorNet.Examples.RpcBidirStreaming

open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.RpcBidirStreaming"

/// The ping-pong server: runs in the daemon, once per opened context.
let simpleRpc (ctx: Context<int>) (data: int) : Task<int> =
    task {
        // signal to the caller that we're up, with a first value
        do! ctx.Started(data + 1)
        use stream = ctx.OpenStream<string, string>()
        let mutable count = 0

        for msg in stream do // ends when the caller stops its side
            if msg <> "ping" then failwith $"expected ping, got {msg}"
            do! stream.Send "pong"
            count <- count + 1

        return count
    }

/// The caller's side: ten pings, ten pongs, then the server's count.
let private pingPong (portal: Portal) =
    task {
        let! ctx, sent = portal.OpenContext(simpleRpc, 10)
        use _ = ctx // leaving the context cancels the function if it is still running
        printfn $"context started, first value {sent}"
        if sent <> 11 then failwith "expected Started(11)"
        use stream = ctx.OpenStream<string, string>()
        do! stream.Send "ping"
        let mutable count = 0

        for msg in TaskSeq.take 10 stream do
            if msg <> "pong" then failwith $"expected pong, got {msg}"
            count <- count + 1
            printfn $"  {count}: {msg}"
            if count < 10 then do! stream.Send "ping"

        do! stream.Stop() // the server's loop ends and its function returns
        let! served = ctx.Result()
        printfn $"the server answered {served} pings"
        if served <> 10 then failwith "expected ten pings served"
    }

let example =
    { Name = "rpc-bidir-streaming"
      Summary = "A context's two-way stream: Started value, ten pings and pongs, the result."
      Run =
        fun _ ->
            nursery {
                let! portal = startActor ("rpc_server", [ thisModule ])
                do! pingPong portal
                // explicitly tear down the daemon actor
                let! _ = portal.CancelActor()
                return ()
            } }
