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

/// Runs `body` with a daemon enabled for the streaming functions, then cancels the daemon.
let private withDaemon name body = withDaemonOf [ moduleName ] name body

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

let ``ping-pong: ten pings, ten pongs, started value and result`` () : Task =
    task {
        let! first, pongs, result = withDaemon "rpc_server" pingPong
        Assert.That(first, Is.EqualTo 11)
        Assert.That(pongs, Is.EqualTo 10)
        Assert.That(result, Is.EqualTo 10, "the server counted ten pings")
    }

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

// ---- the callee leaving at every phase ----

let ``callee returning before Started fails OpenContext clearly`` () : Task =
    task {
        let! e = catchAsync (fun () -> withDaemon "nostart" (fun portal -> task { let! _ = portal.OpenContext neverStarts in return () }))
        Assert.That(e, Is.InstanceOf<InvalidOperationException>())
        Assert.That(e.Message, Does.Contain "without calling ctx.Started")
    }

let ``callee raising before Started fails OpenContext with the remote error`` () : Task =
    task {
        let! e = catchAsync (fun () -> withDaemon "failstart" (fun portal -> task { let! _ = portal.OpenContext failBeforeStarted in return () }))
        Assert.That(e, Is.InstanceOf<RemoteActorError>())
        Assert.That((e :?> RemoteActorError).RemoteMessage, Is.EqualTo "no start today")
    }

let ``callee returning right after Started: result arrives, the stream is empty, sends are dropped`` () : Task =
    task {
        let! first, items, result =
            withDaemon "quick" (fun portal ->
                task {
                    let! ctx, first = portal.OpenContext(startAndReturn, 21)
                    use _ = ctx
                    let! result = ctx.Result()
                    use stream = ctx.OpenStream<int, int>()
                    do! stream.Send 1 // the callee is gone: dropped, not an error
                    let! items = readAll stream
                    return first, items, result
                })

        Assert.That(first, Is.EqualTo 21)
        Assert.That(items, Is.Empty)
        Assert.That(result, Is.EqualTo 42)
    }

let ``callee returning mid-stream: the caller reads every item, then the result`` () : Task =
    task {
        let! items, result =
            withDaemon "producer" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext(produce, 50, false)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()
                    let! items = readAll stream
                    let! result = ctx.Result()
                    return items, result
                })

        Assert.That(items, eq [ 0..49 ])
        Assert.That(result, Is.EqualTo "sent")
    }

let ``an item that cannot be read ends the iteration with StreamItemError after every item before it`` () : Task =
    task {
        // Thousands of items, so that the bad one most likely comes late in a run of several
        // (decoded and handed to the reader a chunk at a time).
        let count = 5000
        let items = ResizeArray<int>()

        let! e =
            catchAsync (fun () ->
                withDaemon "longs" (fun portal ->
                    task {
                        let! ctx, _ = portal.OpenContext(produceLongs, count)
                        use _ = ctx
                        use stream = ctx.OpenStream<unit, int>()

                        for x in stream do
                            items.Add x
                    }))

        Assert.That(items.Count, Is.EqualTo count)

        for i in 0 .. count - 1 do
            if items[i] <> i then
                Assert.Fail $"item {i} was {items[i]}"

        Assert.That(e, Is.InstanceOf<StreamItemError>(), $"got {e}")
    }

let ``callee raising mid-stream: the caller reads the items sent before, then RemoteActorError`` () : Task =
    task {
        let items = ResizeArray<int>()

        let! e =
            catchAsync (fun () ->
                withDaemon "crasher" (fun portal ->
                    task {
                        let! ctx, _ = portal.OpenContext(produceThenFail, 3)
                        use _ = ctx
                        use stream = ctx.OpenStream<int, int>()

                        for x in stream do
                            items.Add x
                    }))

        Assert.That(List.ofSeq items, eq [ 0; 1; 2 ])
        Assert.That(e, Is.InstanceOf<RemoteActorError>())
        Assert.That((e :?> RemoteActorError).RemoteMessage, Is.EqualTo "failed after 3 items")
    }

let ``callee stopping its side: the caller's iteration ends, its own items still reach the callee`` () : Task =
    task {
        let! items, result =
            withDaemon "stopper" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext(stopThenSum, 3)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()
                    let! items = readAll stream

                    for x in [ 10; 20; 30 ] do
                        do! stream.Send x

                    do! stream.Stop()
                    let! result = ctx.Result()
                    return items, result
                })

        Assert.That(items, eq [ 0; 1; 2 ])
        Assert.That(result, Is.EqualTo 60)
    }

// ---- the caller leaving at every phase ----

let ``caller cancelled before Started: OpenContext ends cancelled and the callee is cancelled`` () : Task =
    task {
        let! outcome, waiting, cancelled =
            withDaemon "slowstart" (fun portal ->
                task {
                    let scope = CancelScope()

                    let opening =
                        CancelScope.run scope (fun _ ->
                            task {
                                let! _ = portal.OpenContext hangBeforeStarted
                                return "opened"
                            })

                    let! waiting = portal.Run(fun () -> awaitEvent "beforeStarted:waiting")
                    scope.Cancel()
                    let! outcome = opening
                    let! cancelled = portal.Run(fun () -> awaitEvent "beforeStarted:cancelled")
                    return outcome, waiting, cancelled
                })

        Assert.That(waiting, Is.True, "the callee was running")
        Assert.That(outcome.IsNone, Is.True, "the scope's own cancellation ended OpenContext")
        Assert.That(cancelled, Is.True, "the callee's function was cancelled")
    }

let ``caller leaving after Started cancels the callee, and the cancellation is absorbed`` () : Task =
    task {
        let! first, cancelled =
            withDaemon "lingerer" (fun portal ->
                task {
                    let! first =
                        task {
                            let! ctx, first = portal.OpenContext startThenHang
                            use _ = ctx
                            return first
                        }

                    // Context exit waited for the callee's end: the event is there already.
                    let! events = portal.Run(fun () -> events ())
                    return first, List.contains "afterStarted:cancelled" events
                })

        Assert.That(first, Is.EqualTo 7)
        Assert.That(cancelled, Is.True)
    }

let ``caller leaving mid-stream cancels the blocked producer`` () : Task =
    task {
        let! items, cancelled =
            withDaemon "firehose" (fun portal ->
                task {
                    let! items =
                        task {
                            let options = StreamOptions.Default.WithBufferSize 8
                            let! ctx, _ = portal.OpenContext(produce, 100000, false, options)
                            use _ = ctx
                            use stream = ctx.OpenStream<int, int>()
                            return! take 5 stream
                        }

                    let! events = portal.Run(fun () -> events ())
                    return items, List.contains "producer:cancelled" events
                })

        Assert.That(items, eq [ 0..4 ])
        Assert.That(cancelled, Is.True)
    }

let ``caller stopping its side ends the callee's iteration and the result follows`` () : Task =
    task {
        let! echoes, result =
            withDaemon "echoer" (fun portal ->
                task {
                    let! ctx, tag = portal.OpenContext(echo, ">")
                    use _ = ctx
                    use stream = ctx.OpenStream<string, string>()

                    for x in [ "a"; "b"; "c" ] do
                        do! stream.Send x

                    do! stream.Stop()
                    let! echoes = readAll stream
                    let! result = ctx.Result()
                    return echoes, result
                })

        Assert.That(echoes, eq [ ">a"; ">b"; ">c" ])
        Assert.That(result, Is.EqualTo 3)
    }

let ``an error in the caller's body cancels the callee and propagates as itself`` () : Task =
    task {
        let! e, cancelled =
            withDaemon "victim" (fun portal ->
                task {
                    let! e =
                        catchAsync (fun () ->
                            task {
                                let! ctx, _ = portal.OpenContext startThenHang
                                use _ = ctx
                                return failwith "caller broke"
                            })

                    let! events = portal.Run(fun () -> events ())
                    return e, List.contains "afterStarted:cancelled" events
                })

        Assert.That(e.Message, Is.EqualTo "caller broke")
        Assert.That(cancelled, Is.True)
    }

// ---- cancellation: ours is absorbed, the peer's is raised ----

let ``ctx.Cancel from the caller: Result raises ContextCancelledError naming us, exit absorbs it`` () : Task =
    task {
        let! e =
            withDaemon "cancellee" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext startThenHang
                    use _ = ctx
                    do! ctx.Cancel()
                    return! catchAsync (fun () -> ctx.Result())
                })

        match e with
        | :? ContextCancelledError as c -> Assert.That(c.Canceller, Is.EqualTo(Actor.id ()))
        | other -> Assert.Fail $"expected ContextCancelledError, got {other}"
    }

let ``ctx.Cancel from the caller ends its stream's iteration with ContextCancelledError naming us, exit absorbs it`` () : Task =
    task {
        let! items, e, ranPastTheLoop =
            withDaemon "owncancel" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext(produce, 3, true)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()
                    let items = ResizeArray()
                    let mutable ranPastTheLoop = false

                    let! e =
                        catchAsync (fun () ->
                            task {
                                for x in stream do
                                    items.Add x

                                    if items.Count = 3 then
                                        do! ctx.Cancel()

                                ranPastTheLoop <- true
                            })

                    return List.ofSeq items, e, ranPastTheLoop
                })

        Assert.That(items, eq [ 0; 1; 2 ])
        Assert.That(ranPastTheLoop, Is.False, "the iteration did not end as if the stream had completed")

        match e with
        | :? ContextCancelledError as c -> Assert.That(c.Canceller, Is.EqualTo(Actor.id ()))
        | other -> Assert.Fail $"expected ContextCancelledError, got {other}"
    }

let ``a callee cancelling its own context raises ContextCancelledError naming it at context exit`` () : Task =
    task {
        let mutable callee = Unchecked.defaultof<ActorId>

        let! e =
            catchAsync (fun () ->
                withDaemon "selfcancel" (fun portal ->
                    task {
                        callee <- portal.Actor
                        let! ctx, _ = portal.OpenContext cancelSelf
                        use _ = ctx
                        do! Task.Delay(Timeout.Infinite, ctx.Token).ContinueWith(fun (_: Task) -> ())
                    }))

        match e with
        | :? ContextCancelledError as c ->
            Assert.That(c.Canceller, Is.EqualTo callee)
            Assert.That(c.Source, Is.EqualTo callee)
        | other -> Assert.Fail $"expected ContextCancelledError, got {other}"
    }

// ---- flow control ----

let ``backpressure: a slow consumer loses nothing and the sender never runs more than a window ahead`` () : Task =
    task {
        let window = 4
        let count = 200

        let! items, maxAhead =
            withDaemon "sender" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext(produce, count, false, StreamOptions.Default.WithBufferSize window)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()
                    let items = ResizeArray()
                    let mutable maxAhead = 0

                    for x in stream do
                        items.Add x
                        // How far ahead of us the sender got: bounded by the window.
                        let! sent = portal.Run(fun () -> sentCount ())
                        maxAhead <- max maxAhead (sent - items.Count)

                    return List.ofSeq items, maxAhead
                })

        Assert.That(items, eq [ 0 .. count - 1 ], "every item, in order")
        Assert.That(maxAhead, Is.LessThanOrEqualTo window, "the sender waited for credit")
    }

let ``Overruns.Fail: a receiver that falls behind gets StreamOverrunError after its buffer`` () : Task =
    task {
        let! items, e =
            withDaemon "flooder" (fun portal ->
                task {
                    let options = { BufferSize = 8; Overruns = Overruns.Fail }
                    let! ctx, _ = portal.OpenContext(flood, 10000, options)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()
                    // The sender ran to its end (or was stopped by the overrun) before we read.
                    let! _ = catchAsync (fun () -> ctx.Result())
                    let items = ResizeArray()
                    let! e = catchAsync (fun () -> task { for x in stream do items.Add x })
                    return List.ofSeq items, e
                })

        Assert.That(items, eq [ 0..7 ], "the buffered items come first")
        Assert.That(e, Is.InstanceOf<StreamOverrunError>())
    }

let ``Overruns.Allow: an unbounded buffer keeps every item`` () : Task =
    task {
        let! items, result =
            withDaemon "allower" (fun portal ->
                task {
                    let options = { BufferSize = 8; Overruns = Overruns.Allow }
                    let! ctx, _ = portal.OpenContext(flood, 5000, options)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()
                    let! result = ctx.Result()
                    let! items = readAll stream
                    return items, result
                })

        Assert.That(result, Is.EqualTo 5000)
        Assert.That(items, eq [ 0..4999 ])
    }

/// `Overruns.Fail` with an 8-item buffer.
let private failAt8 = { BufferSize = 8; Overruns = Overruns.Fail }

/// Waits (bounded, 60 s) for `token` to be cancelled; true if it was.
let private cancelled (token: CancellationToken) : Task<bool> =
    task {
        let! _ = Task.WhenAny(Task.Delay(Timeout.Infinite, token), Task.Delay(TimeSpan.FromSeconds 60.0))
        return token.IsCancellationRequested
    }

let ``Overruns.Fail: a callee overrunning a caller that never opens its stream fails the context on both sides`` () : Task =
    task {
        let! tokenCancelled, e, events =
            withDaemon "overrunner" (fun portal ->
                task {
                    let mutable tokenCancelled = false

                    let! e =
                        catchAsync (fun () ->
                            task {
                                // One item more than our buffer holds; the stream is never opened.
                                let! ctx, _ = portal.OpenContext(sendThenWait, 9, failAt8)
                                use _ = ctx
                                let! c = cancelled ctx.Token
                                tokenCancelled <- c
                            })

                    let! _ = portal.Run(fun () -> awaitEvent "sender:StreamOverrunError")
                    let! events = portal.Run(fun () -> events ())
                    return tokenCancelled, e, events
                })

        Assert.That(tokenCancelled, Is.True, "the overrun cancelled the caller's ctx.Token")
        Assert.That(e, Is.InstanceOf<StreamOverrunError>(), "context exit raised the overrun (detected here: not boxed)")
        Assert.That(events, Does.Contain "sender:cancelled", "the overrun ended the callee's wait")
        Assert.That(events, Does.Contain "sender:StreamOverrunError", "the callee's next send raised the overrun")
    }

let ``Overruns.Fail: a caller overrunning a callee that never opens its stream fails the context on both sides`` () : Task =
    task {
        let mutable callee = Unchecked.defaultof<ActorId>

        let! tokenCancelled, sendError, e, calleeCancelled =
            withDaemon "overrun" (fun portal ->
                task {
                    callee <- portal.Actor
                    let mutable tokenCancelled = false
                    let mutable sendError = null

                    let! e =
                        catchAsync (fun () ->
                            task {
                                let! ctx, _ = portal.OpenContext(openWhenReleased, options = failAt8)
                                use _ = ctx
                                use stream = ctx.OpenStream<int, int>()

                                // One item more than the callee's buffer holds.
                                for i in 0..8 do
                                    do! stream.Send i

                                let! c = cancelled ctx.Token
                                tokenCancelled <- c
                                let! se = catchAsync (fun () -> task { do! stream.Send 9 })
                                sendError <- se
                            })

                    let! calleeCancelled = portal.Run(fun () -> awaitEvent "late:cancelled")
                    return tokenCancelled, sendError, e, calleeCancelled
                })

        Assert.That(tokenCancelled, Is.True, "the overrun cancelled the caller's ctx.Token")
        Assert.That(sendError, Is.InstanceOf<StreamOverrunError>(), "the caller's next send failed")
        Assert.That(calleeCancelled, Is.True, "the overrun cancelled the callee's function")

        match e with
        | :? RemoteActorError as r ->
            Assert.That(r.BoxedType, Is.EqualTo typeof<StreamOverrunError>, "context exit raised the callee's overrun, boxed")
            Assert.That(r.Source, Is.EqualTo callee)
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }

let ``Overruns.Fail: exactly BufferSize items waiting for a caller that has not opened its stream are legal`` () : Task =
    task {
        let! result, tokenCancelled, items =
            withDaemon "exactly" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext(produce, 8, false, failAt8)
                    use _ = ctx
                    // The callee sends all 8 and returns before we open the stream.
                    let! result = ctx.Result()
                    use stream = ctx.OpenStream<int, int>()
                    let! items = readAll stream
                    return result, ctx.Token.IsCancellationRequested, items
                })

        Assert.That(result, Is.EqualTo "sent")
        Assert.That(tokenCancelled, Is.False)
        Assert.That(items, eq [ 0..7 ])
    }

let ``Overruns.Fail: exactly BufferSize items waiting for a callee that has not opened its stream are legal`` () : Task =
    task {
        let! sum =
            withDaemon "exactlyin" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext(openWhenReleased, options = failAt8)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()

                    for i in 0..7 do
                        do! stream.Send i

                    do! stream.Stop()
                    // Behind our items on the connection: they all reached the callee's context.
                    let! _ = portal.Run(fun () -> release ())
                    return! ctx.Result()
                })

        Assert.That(sum, Is.EqualTo 28)
    }

let ``a context to this actor itself is refused`` () =
    let me = ActorId.New "me"
    let e = Assert.Throws<InvalidOperationException>(fun () -> TractorNet.StreamingCalls.refuseSelf me me)
    Assert.That(e.Message, Does.Contain "from itself")

let ``a context stream cut by the caller's own cancel scope raises there, it does not end quietly`` () : Task =
    withDaemon "cutctx" (fun portal ->
        assertCutByOwnScope (fun loop ->
            task {
                let! ctx, _ = portal.OpenContext(produce, 1000, true)
                use _ = ctx
                use stream = ctx.OpenStream<unit, int>()
                do! loop stream
            }))

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "StreamingContextTests" [
        Register.test "ping-pong: ten pings, ten pongs, started value and result" ``ping-pong: ten pings, ten pongs, started value and result``
        Register.test "a second Started raises in the callee and surfaces as RemoteActorError" ``a second Started raises in the callee and surfaces as RemoteActorError``
        Register.test "callee returning before Started fails OpenContext clearly" ``callee returning before Started fails OpenContext clearly``
        Register.test "callee raising before Started fails OpenContext with the remote error" ``callee raising before Started fails OpenContext with the remote error``
        Register.test "callee returning right after Started: result arrives, the stream is empty, sends are dropped" ``callee returning right after Started: result arrives, the stream is empty, sends are dropped``
        Register.test "callee returning mid-stream: the caller reads every item, then the result" ``callee returning mid-stream: the caller reads every item, then the result``
        Register.test "an item that cannot be read ends the iteration with StreamItemError after every item before it" ``an item that cannot be read ends the iteration with StreamItemError after every item before it``
        Register.test "callee raising mid-stream: the caller reads the items sent before, then RemoteActorError" ``callee raising mid-stream: the caller reads the items sent before, then RemoteActorError``
        Register.test "callee stopping its side: the caller's iteration ends, its own items still reach the callee" ``callee stopping its side: the caller's iteration ends, its own items still reach the callee``
        Register.test "caller cancelled before Started: OpenContext ends cancelled and the callee is cancelled" ``caller cancelled before Started: OpenContext ends cancelled and the callee is cancelled``
        Register.test "caller leaving after Started cancels the callee, and the cancellation is absorbed" ``caller leaving after Started cancels the callee, and the cancellation is absorbed``
        Register.test "caller leaving mid-stream cancels the blocked producer" ``caller leaving mid-stream cancels the blocked producer``
        Register.test "caller stopping its side ends the callee's iteration and the result follows" ``caller stopping its side ends the callee's iteration and the result follows``
        Register.test "an error in the caller's body cancels the callee and propagates as itself" ``an error in the caller's body cancels the callee and propagates as itself``
        Register.test "ctx.Cancel from the caller: Result raises ContextCancelledError naming us, exit absorbs it" ``ctx.Cancel from the caller: Result raises ContextCancelledError naming us, exit absorbs it``
        Register.test "ctx.Cancel from the caller ends its stream's iteration with ContextCancelledError naming us, exit absorbs it" ``ctx.Cancel from the caller ends its stream's iteration with ContextCancelledError naming us, exit absorbs it``
        Register.test "a callee cancelling its own context raises ContextCancelledError naming it at context exit" ``a callee cancelling its own context raises ContextCancelledError naming it at context exit``
        Register.test "backpressure: a slow consumer loses nothing and the sender never runs more than a window ahead" ``backpressure: a slow consumer loses nothing and the sender never runs more than a window ahead``
        Register.test "Overruns.Fail: a receiver that falls behind gets StreamOverrunError after its buffer" ``Overruns.Fail: a receiver that falls behind gets StreamOverrunError after its buffer``
        Register.test "Overruns.Allow: an unbounded buffer keeps every item" ``Overruns.Allow: an unbounded buffer keeps every item``
        Register.test "Overruns.Fail: a callee overrunning a caller that never opens its stream fails the context on both sides" ``Overruns.Fail: a callee overrunning a caller that never opens its stream fails the context on both sides``
        Register.test "Overruns.Fail: a caller overrunning a callee that never opens its stream fails the context on both sides" ``Overruns.Fail: a caller overrunning a callee that never opens its stream fails the context on both sides``
        Register.test "Overruns.Fail: exactly BufferSize items waiting for a caller that has not opened its stream are legal" ``Overruns.Fail: exactly BufferSize items waiting for a caller that has not opened its stream are legal``
        Register.test "Overruns.Fail: exactly BufferSize items waiting for a callee that has not opened its stream are legal" ``Overruns.Fail: exactly BufferSize items waiting for a callee that has not opened its stream are legal``
        Register.test "a context to this actor itself is refused" ``a context to this actor itself is refused``
        Register.test "a context stream cut by the caller's own cancel scope raises there, it does not end quietly" ``a context stream cut by the caller's own cancel scope raises there, it does not end quietly``
    ]
