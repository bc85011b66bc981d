/// One-way streams, broadcast fan-out, many streams over one portal, and a peer dying mid-stream,
/// between real processes.
module TractorNet.Tests.StreamingOneWayTests

open System
open System.Collections.Generic
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Runtime
open TractorNet.Tests.StreamingFunctions

/// Runs `body` with a daemon enabled for the streaming functions, then cancels the daemon.
let private withDaemon name body = withDaemonOf [ moduleName ] name body

let ``a one-way stream delivers every item in order`` () : Task =
    task {
        let! items = withDaemon "numbers" (fun portal -> readAll (portal.OpenStreamFrom(fun () -> numbers 1000)))
        Assert.That(items, eq [ 0..999 ])
    }

let ``each iteration of a one-way stream runs the function again`` () : Task =
    task {
        let! a, b =
            withDaemon "again" (fun portal ->
                task {
                    let stream = portal.OpenStreamFrom(fun () -> numbers 3)
                    let! a = readAll stream
                    let! b = readAll stream
                    return a, b
                })

        Assert.That(a, eq [ 0; 1; 2 ])
        Assert.That(b, eq [ 0; 1; 2 ])
    }

let ``breaking out of a one-way stream cancels the remote generator`` () : Task =
    task {
        let! items, events =
            withDaemon "endless" (fun portal ->
                task {
                    let e = (portal.OpenStreamFrom endless).GetAsyncEnumerator CancellationToken.None
                    let items = ResizeArray()

                    while items.Count < 5 do
                        let! _ = e.MoveNextAsync()
                        items.Add e.Current

                    // Leaving the loop: awaited, so the generator has ended when this returns.
                    do! e.DisposeAsync()
                    let! events = portal.Run(fun () -> events ())
                    return List.ofSeq items, events
                })

        Assert.That(items, eq [ 0L; 1L; 2L; 3L; 4L ])
        Assert.That(events, Does.Contain "generator:disposed", "the remote generator was ended")
    }

let ``a generator raising mid-stream raises RemoteActorError at the iteration site after its items`` () : Task =
    task {
        let items = ResizeArray<int>()

        let! e =
            catchAsync (fun () ->
                withDaemon "failgen" (fun portal ->
                    task {
                        for x in portal.OpenStreamFrom(fun () -> numbersThenFail 4) do
                            items.Add x
                    }))

        Assert.That(List.ofSeq items, eq [ 0..3 ])
        Assert.That(e, Is.InstanceOf<RemoteActorError>())
        Assert.That((e :?> RemoteActorError).RemoteMessage, Is.EqualTo "generator failed")
    }

let ``one-way backpressure: the generator never runs more than a window ahead`` () : Task =
    task {
        let window = 4

        let! items, maxAhead =
            withDaemon "paced" (fun portal ->
                task {
                    let items = ResizeArray()
                    let mutable maxAhead = 0

                    for x in portal.OpenStreamFrom((fun () -> numbers 100), StreamOptions.Default.WithBufferSize window) do
                        items.Add x
                        let! sent = portal.Run(fun () -> sentCount ())
                        maxAhead <- max maxAhead (sent - items.Count)

                    return List.ofSeq items, maxAhead
                })

        Assert.That(items, eq [ 0..99 ])
        // The generator counts an item once the pump took it: at most the window in flight,
        // plus the one it is waiting to send.
        Assert.That(maxAhead, Is.LessThanOrEqualTo(window + 1))
    }

let ``items yielded in a burst all arrive while the generator then waits, none held for a next one`` () : Task =
    task {
        let! items =
            withDaemon "burst" (fun portal ->
                task {
                    let items = ResizeArray()
                    let e = portal.OpenStreamFrom(fun () -> burstThenSilent 5000).GetAsyncEnumerator CancellationToken.None

                    // The generator never yields again after its burst: each read here is bounded
                    // only by the hang guard, and would hang if an item stayed held back.
                    while items.Count < 5000 do
                        let! more = e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds 30.0)
                        Assert.That(more, Is.True, "the stream ended early")
                        items.Add e.Current

                    do! e.DisposeAsync()
                    return List.ofSeq items
                })

        Assert.That(items, eq [ 0..4999 ])
    }

let ``large items round-trip intact and in order, mixed with small ones`` () : Task =
    task {
        let sizes = [ 0; 1; 1023; 1024; 65_535; 65_536; 3; 200_000; 70_000; 1; 1_048_576; 5 ]

        let! items = withDaemon "blobs" (fun portal -> readAll (portal.OpenStreamFrom(fun () -> blobs sizes)))

        Assert.That(items.Length, Is.EqualTo sizes.Length)

        for i, (size, item) in List.indexed (List.zip sizes items) do
            Assert.That(item, eq (blobOf i size), $"item {i} ({size} bytes)")
    }

let ``large items take credit by size: the generator runs at most the window's KiB ahead`` () : Task =
    task {
        // An item of 16 KiB takes 17 units of a 64-unit window (docs/protocol.md §4.6): four in
        // flight at most, where a window counted in items would let 64 go.
        let window = 64
        let size = 16 * 1024

        let! items, maxAhead =
            withDaemon "bigpaced" (fun portal ->
                task {
                    let mutable n = 0
                    let mutable maxAhead = 0

                    for x in portal.OpenStreamFrom((fun () -> blobs (List.replicate 40 size)), StreamOptions.Default.WithBufferSize window) do
                        Assert.That(x, eq (blobOf n size), $"item {n}")
                        n <- n + 1
                        let! sent = portal.Run(fun () -> sentCount ())
                        maxAhead <- max maxAhead (sent - n)

                    return n, maxAhead
                })

        Assert.That(items, Is.EqualTo 40)
        Assert.That(maxAhead, Is.LessThanOrEqualTo(window / (1 + size / 1024) + 2))
    }

let ``broadcast: each subscriber gets its own copy of every item`` () : Task =
    task {
        let! a, b =
            withDaemon "copier" (fun portal ->
                task {
                    let stream = portal.OpenStreamFrom(fun () -> numbers 300)
                    let subA = stream.Subscribe 8
                    let subB = stream.Subscribe 8
                    let ea = subA.GetAsyncEnumerator CancellationToken.None
                    let eb = subB.GetAsyncEnumerator CancellationToken.None
                    let a = ResizeArray()
                    let b = ResizeArray()
                    let mutable go = true

                    // In lockstep, so neither falls behind the other.
                    while go do
                        let! moreA = ea.MoveNextAsync()
                        let! moreB = eb.MoveNextAsync()
                        go <- moreA && moreB

                        if moreA then a.Add ea.Current
                        if moreB then b.Add eb.Current

                    do! subA.DisposeAsync()
                    do! subB.DisposeAsync()
                    return List.ofSeq a, List.ofSeq b
                })

        Assert.That(a, eq [ 0..299 ])
        Assert.That(b, eq [ 0..299 ])
    }

let ``broadcast: a subscriber that falls behind gets LaggedError, the others carry on`` () : Task =
    task {
        let capacity = 16

        let! fast, lagged =
            withDaemon "broadcaster" (fun portal ->
                task {
                    let stream = portal.OpenStreamFrom(fun () -> numbers 500)
                    let quick = stream.Subscribe capacity
                    let slow = stream.Subscribe capacity
                    let farAhead = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

                    let readQuick =
                        task {
                            let items = ResizeArray()

                            for x in quick do
                                items.Add x

                                if items.Count = 3 * capacity then
                                    farAhead.TrySetResult() |> ignore

                            do! quick.DisposeAsync()
                            return List.ofSeq items
                        }

                    let readSlow =
                        task {
                            do! farAhead.Task
                            let! e = catchAsync (fun () -> readAll slow)
                            do! slow.DisposeAsync()
                            return e
                        }

                    let! quickItems = readQuick
                    let! lagged = readSlow
                    return quickItems, lagged
                })

        Assert.That(fast, eq [ 0..499 ])

        match lagged with
        | :? LaggedError as l -> Assert.That(l.Missed, Is.GreaterThanOrEqualTo(int64 capacity))
        | other -> Assert.Fail $"expected LaggedError, got {other}"
    }

let ``broadcast: subscribing again after every subscription left runs the stream anew`` () : Task =
    task {
        let! rounds =
            withDaemon "rerun" (fun portal ->
                task {
                    let stream = portal.OpenStreamFrom(fun () -> numbers 50)
                    let rounds = ResizeArray()

                    for _ in 1..2 do
                        let sub = stream.Subscribe()
                        let! items = readAll sub
                        do! sub.DisposeAsync()
                        rounds.Add items

                    return List.ofSeq rounds
                })

        Assert.That(rounds, eq [ [ 0..49 ]; [ 0..49 ] ])
    }

let ``broadcast: a context's stream can be subscribed again, the new round gets the items still to come`` () : Task =
    task {
        let! first, rest =
            withDaemon "rounds" (fun portal ->
                task {
                    let! ctx, _ = portal.OpenContext(produce, 6, false)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()
                    let a = stream.Subscribe 4
                    let! first = TaskSeq.toListAsync (TaskSeq.take 3 a)
                    do! a.DisposeAsync()
                    let b = stream.Subscribe 4
                    let! rest = readAll b
                    do! b.DisposeAsync()
                    return first, rest
                })

        Assert.That(first, eq [ 0; 1; 2 ])
        Assert.That(rest, eq [ 3; 4; 5 ])
    }

let ``broadcast: the last subscription leaving while a read waits on a silent generator cancels it`` () : Task =
    task {
        let! left, cancelled =
            withDaemon "silent" (fun portal ->
                task {
                    let sub = (portal.OpenStreamFrom oneThenSilent).Subscribe()
                    use cts = new CancellationTokenSource()
                    let e = sub.GetAsyncEnumerator cts.Token
                    let! _ = e.MoveNextAsync()
                    let waiting = e.MoveNextAsync().AsTask() // the generator says nothing more
                    cts.Cancel()
                    let! _ = catchAsync (fun () -> waiting)
                    // Bounded, to catch a hang: leaving must not wait for an item that never comes.
                    let leaving = sub.DisposeAsync().AsTask()
                    let! first = Task.WhenAny(leaving, Task.Delay(TimeSpan.FromSeconds 30.0))
                    if first = leaving then do! leaving // leaving raises nothing
                    let! cancelled = portal.Run(fun () -> awaitEvent "silent:cancelled")
                    return first = leaving, cancelled
                })

        Assert.That(left, Is.True, "the last subscription left without waiting for another item")
        Assert.That(cancelled, Is.True, "the remote generator was cancelled")
    }

let ``broadcast: cancelling the scope of the subscriber reading the stream leaves the others every item`` () : Task =
    task {
        let! seen, cancelledRemotely =
            withDaemon "handover" (fun portal ->
                task {
                    let stream = portal.OpenStreamFrom(fun () -> gated 3 20)
                    let fast = stream.Subscribe 32
                    let slow = stream.Subscribe 32
                    let! seen = cancelThePuller fast slow 3 (fun () -> portal.Run openGate :> Task)
                    do! fast.DisposeAsync()
                    do! slow.DisposeAsync()
                    let! events = portal.Run events
                    return seen, List.contains "gated:cancelled" events
                })

        Assert.That(seen.FastItems, eq [ 0; 1; 2 ])
        Assert.That(seen.FastError, Is.InstanceOf<OperationCanceledException>())
        Assert.That(seen.FastAbsorbed, Is.True, "the fast subscriber's scope absorbed its own cancellation")
        Assert.That(seen.SlowItems, eq [ 0..19 ])
        Assert.That(cancelledRemotely, Is.False, "the remote generator ran to its end")
    }

let ``broadcast: a subscription's iteration is cut by its own cancel scope, like the stream's`` () : Task =
    withDaemon "cut-subscriber" (fun portal ->
        assertCutByOwnScope (fun loop ->
            task {
                let sub = (portal.OpenStreamFrom endless).Subscribe()
                let! error = catchAsync (fun () -> task { do! loop sub })
                do! sub.DisposeAsync()
                if not (isNull error) then raise error
            }))

let ``a Broadcast whose last subscription left refuses new ones with a clear error`` () : Task =
    task {
        let b = new Broadcast<int>(TaskSeq.ofList [ 1; 2; 3 ], 4)
        let s = b.Subscribe()
        let! items = readAll s
        do! s.DisposeAsync()
        Assert.That(items, eq [ 1; 2; 3 ])
        let e = Assert.Throws<ObjectDisposedException>(fun () -> b.Subscribe() |> ignore)
        Assert.That(e.Message, Does.Contain "last subscription left")
    }

let ``many contexts and streams share one portal, both directions at once`` () : Task =
    task {
        let! results =
            withDaemon "multiplexer" (fun portal ->
                let contexts =
                    [ for i in 1..8 ->
                          task {
                              let tag = $"{i}:"
                              let! ctx, _ = portal.OpenContext(echo, tag)
                              use _ = ctx
                              use stream = ctx.OpenStream<string, string>()
                              let sender =
                                  task {
                                      for n in 1..300 do
                                          do! stream.Send(string n)

                                      do! stream.Stop()
                                  }

                              let! echoes = readAll stream
                              do! sender
                              let! count = ctx.Result()
                              return echoes = [ for n in 1..300 -> $"{tag}{n}" ] && count = 300
                          } ]

                let streams =
                    [ for _ in 1..2 ->
                          task {
                              let! items = readAll (portal.OpenStreamFrom(fun () -> numbers 2000))
                              return items = [ 0..1999 ]
                          } ]

                task {
                    let! all = Task.WhenAll(contexts @ streams)
                    return List.ofArray all
                })

        Assert.That(results, Has.Length.EqualTo 10)
        Assert.That(results, Has.All.True)
    }

let ``the peer dying mid-stream ends the iteration with its death, reported once`` () : Task =
    task {
        let mutable atIteration: exn = null
        let mutable received = 0
        let mutable iterating = Task.CompletedTask

        let! e =
            catchAsync (fun () ->
                nursery {
                    let! portal = startActor ("doomed", [ moduleName ])

                    iterating <-
                        task {
                            let e = (portal.OpenStreamFrom endless).GetAsyncEnumerator CancellationToken.None

                            try
                                while true do
                                    let! more = e.MoveNextAsync()

                                    if more then
                                        received <- received + 1

                                        if received = 10 then
                                            Process.GetProcessById(portal.Pid).Kill()
                            with ex ->
                                atIteration <- ex
                        }

                    do! iterating
                    let! _ = portal.CancelActor()
                    return ()
                })

        // The nursery stops waiting for its body once the death cancelled it: wait for the loop.
        do! iterating.WaitAsync(TimeSpan.FromSeconds 30.0)
        Assert.That(received, Is.GreaterThanOrEqualTo 10)
        Assert.That(e, Is.InstanceOf<ActorDiedError>(), "the nursery reports the death once")
        Assert.That(e, Is.InstanceOf<TransportClosedError>(), "a death is a transport-closed error")
        // The loop sees that same death, unless the nursery (cancelled by it) cancelled the loop first.
        Assert.That(atIteration, Is.SameAs(e).Or.InstanceOf<OperationCanceledException>())
    }

let ``a one-way stream cut by the caller's own cancel scope raises there, it does not end quietly`` () : Task =
    withDaemon "cut" (fun portal -> assertCutByOwnScope (fun loop -> loop (portal.OpenStreamFrom endless)))

// ---- items held while the connection writes (a run of them in one frame) ----

let ``a fast generator under a small window: every item in order, never more than a window ahead`` () : Task =
    task {
        // The pump holds items in runs while the connection writes; a run ends where its credit
        // does, and the next item waits for the grant.
        let window = 16
        let count = 20_000

        let! items, maxAhead =
            withDaemon "smallwindow" (fun portal ->
                task {
                    let items = ResizeArray(count)
                    let mutable maxAhead = 0

                    for x in portal.OpenStreamFrom((fun () -> numbers count), StreamOptions.Default.WithBufferSize window) do
                        items.Add x

                        if items.Count % 1000 = 0 then
                            let! sent = portal.Run(fun () -> sentCount ())
                            maxAhead <- max maxAhead (sent - items.Count)

                    return items, maxAhead
                })

        Assert.That(items.Count, Is.EqualTo count)

        for i in 0 .. count - 1 do
            if items[i] <> i then
                Assert.Fail $"item {i} was {items[i]}"

        Assert.That(maxAhead, Is.LessThanOrEqualTo(window + 1))
    }

let ``a generator that waits between runs of ready items delivers every item in order`` () : Task =
    task {
        let count = 30_000

        let! items =
            withDaemon "pausing" (fun portal ->
                task {
                    let items = ResizeArray(count)

                    for x in portal.OpenStreamFrom(fun () -> pausing count 97) do
                        items.Add x

                    return items
                })

        Assert.That(items.Count, Is.EqualTo count)

        for i in 0 .. count - 1 do
            if items[i] <> i then
                Assert.Fail $"item {i} was {items[i]}"
    }

let ``a fast generator raising after many items: all of them arrive, then its error`` () : Task =
    task {
        let count = 50_000
        let n = ref 0
        let inOrder = ref true

        let! e =
            catchAsync (fun () ->
                withDaemon "failfast" (fun portal ->
                    task {
                        for x in portal.OpenStreamFrom(fun () -> numbersThenFail count) do
                            if x <> n.Value then inOrder.Value <- false
                            n.Value <- n.Value + 1
                    }))

        Assert.That(n.Value, Is.EqualTo count)
        Assert.That(inOrder.Value, Is.True, "the items came out of order")
        Assert.That(e, Is.InstanceOf<RemoteActorError>())
        Assert.That((e :?> RemoteActorError).RemoteMessage, Is.EqualTo "generator failed")
    }

let ``a consumer leaving a fast stream mid-run ends the generator, and the portal streams again`` () : Task =
    task {
        let! first, events, again =
            withDaemon "leaver" (fun portal ->
                task {
                    let e = (portal.OpenStreamFrom fastEndless).GetAsyncEnumerator CancellationToken.None
                    let items = ResizeArray()

                    // Far into the stream, in the middle of some run of held items.
                    while items.Count < 12_345 do
                        let! more = e.MoveNextAsync()
                        Assert.That(more, Is.True, "the stream ended early")
                        items.Add e.Current

                    do! e.DisposeAsync()
                    let! events = portal.Run(fun () -> events ())
                    let! again = readAll (portal.OpenStreamFrom(fun () -> numbers 1000))
                    return List.ofSeq items, events, again
                })

        Assert.That(first, eq [ 0..12_344 ])
        Assert.That(events, Does.Contain "fast:disposed", "the remote generator was ended")
        Assert.That(again, eq [ 0..999 ])
    }

let ``a fast one-way stream cut by the caller's own cancel scope raises there`` () : Task =
    withDaemon "fastcut" (fun portal -> assertCutByOwnScope (fun loop -> loop (portal.OpenStreamFrom fastEndless)))

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "StreamingOneWayTests" [
        Register.test "a one-way stream delivers every item in order" ``a one-way stream delivers every item in order``
        Register.test "each iteration of a one-way stream runs the function again" ``each iteration of a one-way stream runs the function again``
        Register.test "breaking out of a one-way stream cancels the remote generator" ``breaking out of a one-way stream cancels the remote generator``
        Register.test "a generator raising mid-stream raises RemoteActorError at the iteration site after its items" ``a generator raising mid-stream raises RemoteActorError at the iteration site after its items``
        Register.test "one-way backpressure: the generator never runs more than a window ahead" ``one-way backpressure: the generator never runs more than a window ahead``
        Register.test "items yielded in a burst all arrive while the generator then waits, none held for a next one" ``items yielded in a burst all arrive while the generator then waits, none held for a next one``
        Register.test "large items round-trip intact and in order, mixed with small ones" ``large items round-trip intact and in order, mixed with small ones``
        Register.test "large items take credit by size: the generator runs at most the window's KiB ahead" ``large items take credit by size: the generator runs at most the window's KiB ahead``
        Register.test "broadcast: each subscriber gets its own copy of every item" ``broadcast: each subscriber gets its own copy of every item``
        Register.test "broadcast: a subscriber that falls behind gets LaggedError, the others carry on" ``broadcast: a subscriber that falls behind gets LaggedError, the others carry on``
        Register.test "broadcast: subscribing again after every subscription left runs the stream anew" ``broadcast: subscribing again after every subscription left runs the stream anew``
        Register.test "broadcast: a context's stream can be subscribed again, the new round gets the items still to come" ``broadcast: a context's stream can be subscribed again, the new round gets the items still to come``
        Register.test "broadcast: the last subscription leaving while a read waits on a silent generator cancels it" ``broadcast: the last subscription leaving while a read waits on a silent generator cancels it``
        Register.test "broadcast: cancelling the scope of the subscriber reading the stream leaves the others every item" ``broadcast: cancelling the scope of the subscriber reading the stream leaves the others every item``
        Register.test "broadcast: a subscription's iteration is cut by its own cancel scope, like the stream's" ``broadcast: a subscription's iteration is cut by its own cancel scope, like the stream's``
        Register.test "a Broadcast whose last subscription left refuses new ones with a clear error" ``a Broadcast whose last subscription left refuses new ones with a clear error``
        Register.test "many contexts and streams share one portal, both directions at once" ``many contexts and streams share one portal, both directions at once``
        Register.test "the peer dying mid-stream ends the iteration with its death, reported once" ``the peer dying mid-stream ends the iteration with its death, reported once``
        Register.test "a one-way stream cut by the caller's own cancel scope raises there, it does not end quietly" ``a one-way stream cut by the caller's own cancel scope raises there, it does not end quietly``
        Register.test "a fast generator under a small window: every item in order, never more than a window ahead" ``a fast generator under a small window: every item in order, never more than a window ahead``
        Register.test "a generator that waits between runs of ready items delivers every item in order" ``a generator that waits between runs of ready items delivers every item in order``
        Register.test "a fast generator raising after many items: all of them arrive, then its error" ``a fast generator raising after many items: all of them arrive, then its error``
        Register.test "a consumer leaving a fast stream mid-run ends the generator, and the portal streams again" ``a consumer leaving a fast stream mid-run ends the generator, and the portal streams again``
        Register.test "a fast one-way stream cut by the caller's own cancel scope raises there" ``a fast one-way stream cut by the caller's own cancel scope raises there``
    ]
