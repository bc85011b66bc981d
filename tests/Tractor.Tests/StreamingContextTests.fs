/// Bidirectional contexts between real processes: the seed's ping-pong, Started rules, every
/// side leaving at every phase, errors and cancellation in both directions.
module TractorNet.Tests.StreamingContextTests

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.StreamingFunctions

let private catchAsync (f: unit -> Task<'T>) : Task<exn> =
    task {
        try
            let! _ = f ()
            return null
        with e ->
            return e
    }

/// Reads `n` items from a stream (then leaves the enumerator; the stream stays open).
let private take (n: int) (stream: IAsyncEnumerable<'T>) : Task<'T list> =
    task {
        let e = stream.GetAsyncEnumerator CancellationToken.None
        let items = ResizeArray()

        while items.Count < n do
            let! more = e.MoveNextAsync()

            if not more then
                failwith $"the stream ended after {items.Count} of {n} items"

            items.Add e.Current

        do! e.DisposeAsync()
        return List.ofSeq items
    }

/// Reads a stream to its end.
let private readAll (stream: IAsyncEnumerable<'T>) : Task<'T list> =
    task {
        let items = ResizeArray()

        for x in stream do
            items.Add x

        return List.ofSeq items
    }

/// Runs `body` with a daemon enabled for the streaming functions, then cancels the daemon.
let private withDaemon (name: string) (body: Portal -> Task<'T>) : Task<'T> =
    nursery {
        let! portal = startActor (name, [ moduleName ])
        let! v = task {
            try
                return! body portal
            finally
                portal.CancelActor().Wait()
        }
        return v
    }

/// The seed's client: ten pings, ten pongs.
let private pingPong (portal: Portal) =
    task {
        let! ctx, first = portal.OpenContext(simpleRpc, 10)
        use _ = ctx
        let stream = ctx.OpenStream<string, string>()
        let mutable pongs = 0
        let e = stream.GetAsyncEnumerator CancellationToken.None

        while pongs < 10 do
            do! stream.Send "ping"
            let! more = e.MoveNextAsync()

            if not more || e.Current <> "pong" then
                failwith "expected a pong"

            pongs <- pongs + 1

        do! stream.DisposeAsync()
        let! result = ctx.Result()
        return first, pongs, result
    }

[<Test>]
let ``ping-pong: ten pings, ten pongs, started value and result`` () : Task =
    task {
        let! first, pongs, result = withDaemon "rpc_server" pingPong
        Assert.That(first, Is.EqualTo 11)
        Assert.That(pongs, Is.EqualTo 10)
        Assert.That(result, Is.EqualTo 10, "the server counted ten pings")
    }

[<Test>]
let ``a second Started raises in the callee and surfaces as RemoteActorError`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                withDaemon "twice" (fun portal ->
                    task {
                        let! ctx, first = portal.OpenContext startTwice
                        use _ = ctx
                        Assert.That(first, Is.EqualTo 1)
                        return! ctx.Result()
                    }))

        match e with
        | :? RemoteActorError as r ->
            Assert.That(r.TypeName, Is.EqualTo "System.InvalidOperationException")
            Assert.That(r.RemoteMessage, Does.Contain "already called")
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }
