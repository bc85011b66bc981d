/// Foreign (unstructured) Task code under structured concurrency: openChannelFrom, runTask and the IObservable
/// bridges, after tractor's infected-asyncio suite (the foreign side raises, is cancelled, exits early; the structured
/// side cancels it, closes early), in one process and across actors.
module TractorNet.Tests.ForeignTests

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ConcurrencyTestSupport
open TractorNet.Tests.ForeignFunctions

/// Foreign code that echoes every message back (tractor's aio_echo_server).
let private echo (chan: ForeignEnd<string, int, int>) (_: CancellationToken) : Task<unit> =
    task {
        chan.Started "start"

        while true do
            let! v = chan.ReceiveAsync()
            do! chan.SendAsync v
    }

/// Foreign code that pushes 0..count-1 (forever when count < 0) and records how it ended.
let private pusher (count: int) (ended: TaskCompletionSource<string>) (chan: ForeignEnd<bool, int, unit>) (ct: CancellationToken) : Task<unit> =
    task {
        try
            chan.Started true
            let mutable i = 0

            while count < 0 || i < count do
                do! chan.SendAsync i
                i <- i + 1

            ended.TrySetResult "returned" |> ignore
        with :? OperationCanceledException ->
            ended.TrySetResult(if ct.IsCancellationRequested then "cancelled by its token" else "cancelled otherwise") |> ignore
    }

let ``the first message unblocks the body and messages flow both ways`` () : Task =
    task {
        let! first, echoed =
            openChannelFrom echo (fun first chan -> task {
                let got = ResizeArray()

                for i in 1..100 do
                    do! chan.SendAsync i
                    let! v = chan.ReceiveAsync()
                    got.Add v

                return first, List.ofSeq got })

        Assert.That(first, Is.EqualTo "start")
        Assert.That(echoed, Is.EqualTo<int list> [ 1..100 ])
    }

let ``the foreign side raising cancels the body and raises its error as itself`` () : Task =
    task {
        let bodyCancelled = TaskCompletionSource<bool>()

        let! e =
            catchAsync (fun () ->
                openChannelFrom failOnFirstMessage (fun _ chan -> task {
                    try
                        do! chan.SendAsync 1
                        do! hang CancelScope.CurrentToken
                    finally
                        bodyCancelled.SetResult CancelScope.CurrentToken.IsCancellationRequested

                    return 0 }))

        Assert.That(e, Is.InstanceOf<InvalidOperationException>())
        Assert.That(e.Message, Is.EqualTo "foreign boom")
        Assert.That(bodyCancelled.Task.IsCompleted && bodyCancelled.Task.Result, Is.True, "the body was cancelled before openChannelFrom returned")
    }

let ``the foreign side raising before its first message fails the caller and the body never runs`` () : Task =
    task {
        let mutable ran = false

        let! e =
            catchAsync (fun () ->
                openChannelFrom
                    (fun (_: ForeignEnd<int, int, int>) _ -> task { return invalidOp "no start" })
                    (fun _ _ -> task { ran <- true; return 0 }))

        Assert.That(e.Message, Is.EqualTo "no start")
        Assert.That(ran, Is.False)
    }

let ``the foreign side returning before its first message raises ForeignTaskExitedError`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                openChannelFrom (fun (_: ForeignEnd<int, int, int>) _ -> task { return () }) (fun _ _ -> task { return 0 }))

        Assert.That(e, Is.InstanceOf<ForeignTaskExitedError>())
        Assert.That(e.Message, Does.Contain "before its first message")
    }

let ``cancelling the structured side cancels the foreign token and waits for the foreign task`` () : Task =
    task {
        let ended = TaskCompletionSource<string>()
        let scope = CancelScope()

        let! r =
            CancelScope.run scope (fun _ ->
                openChannelFrom (pusher -1 ended) (fun _ chan -> task {
                    let! _ = chan.ReceiveAsync()
                    scope.Cancel()
                    do! hang CancelScope.CurrentToken
                    return 0 }))

        Assert.That(r, Is.EqualTo(ValueNone: int voption))
        Assert.That(scope.CancelledCaught, Is.True)
        // Set by the foreign task itself: it had ended before openChannelFrom returned.
        Assert.That(ended.Task.IsCompleted, Is.True)
        Assert.That(ended.Task.Result, Is.EqualTo "cancelled by its token")
    }

let ``the foreign side cancelled on its own raises ForeignCancelledError`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                openChannelFrom
                    (fun (chan: ForeignEnd<int, int, int>) _ -> task {
                        chan.Started 1
                        use own = new CancellationTokenSource()
                        own.Cancel()
                        do! Task.Delay(Timeout.Infinite, own.Token) })
                    (fun _ chan -> task {
                        let! v = chan.ReceiveAsync()
                        return v }))

        Assert.That(e, Is.InstanceOf<ForeignCancelledError>())
        Assert.That(e.InnerException, Is.InstanceOf<OperationCanceledException>())
    }

let ``the structured side closing early stops the foreign task before returning`` () : Task =
    task {
        let ended = TaskCompletionSource<string>()

        let! pulled =
            openChannelFrom (pusher -1 ended) (fun _ chan -> task {
                let got = ResizeArray()
                let e = (chan :> IAsyncEnumerable<int>).GetAsyncEnumerator()
                let mutable go = true

                while go do
                    let! more = e.MoveNextAsync()
                    got.Add e.Current
                    go <- more && e.Current < 50

                do! e.DisposeAsync()
                return List.ofSeq got })

        Assert.That(pulled, Is.EqualTo<int list> [ 0..50 ])
        Assert.That(ended.Task.IsCompleted, Is.True)
        Assert.That(ended.Task.Result, Is.EqualTo "cancelled by its token")
    }

let ``the foreign side exiting early ends iteration quietly after every message`` () : Task =
    task {
        let ended = TaskCompletionSource<string>()

        let! pulled =
            openChannelFrom (pusher 51 ended) (fun _ chan -> task {
                let! all = readAll chan
                return all })

        Assert.That(pulled, Is.EqualTo<int list> [ 0..50 ])
        Assert.That(ended.Task.Result, Is.EqualTo "returned")
    }

let ``the foreign side exiting early raises ForeignTaskExitedError in a pending receive`` () : Task =
    task {
        let ended = TaskCompletionSource<string>()

        let! e =
            catchAsync (fun () ->
                openChannelFrom (pusher 3 ended) (fun _ chan -> task {
                    for _ in 1..4 do
                        let! _ = chan.ReceiveAsync()
                        ()

                    return 0 }))

        Assert.That(e, Is.InstanceOf<ForeignTaskExitedError>())
    }

let ``a foreign task deaf to its token is reported as ForeignTaskStuckError`` () : Task =
    task {
        let release = TaskCompletionSource()

        let! e =
            catchAsync (fun () ->
                openChannelFromWith
                    { ForeignOptions.Default with StopTimeout = TimeSpan.FromMilliseconds 100.0 }
                    (fun (chan: ForeignEnd<int, int, int>) _ -> task {
                        chan.Started 1
                        do! release.Task })
                    (fun first _ -> task { return first }))

        release.SetResult()
        Assert.That(e, Is.InstanceOf<ForeignTaskStuckError>())
        Assert.That(e.Message, Does.Contain "did not end within")
    }

let ``bad options are refused naming the field`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                openChannelFromWith { ForeignOptions.Default with Capacity = 0 } echo (fun first _ -> task { return first }))

        Assert.That(e, Is.InstanceOf<ArgumentOutOfRangeException>())
        Assert.That(e.Message, Does.Contain "Capacity")
    }

let ``runTask returns the foreign value and raises the foreign error as itself`` () : Task =
    task {
        let! v =
            runTask (fun _ -> task {
                do! Task.Yield()
                return 42 })

        let! e =
            catchAsync (fun () ->
                runTask (fun _ -> task {
                    do! Task.Yield()
                    return invalidOp "bad" }))
        Assert.That(v, Is.EqualTo 42)
        Assert.That(e, Is.InstanceOf<InvalidOperationException>())
        Assert.That(e.Message, Is.EqualTo "bad")
    }

let ``runTask under a cancelled scope cancels the foreign token and waits for it`` () : Task =
    task {
        let ended = TaskCompletionSource<string>()
        let started = TaskCompletionSource()
        let scope = CancelScope()

        let! r =
            CancelScope.run scope (fun _ -> task {
                let run =
                    runTask (fun ct -> task {
                        started.SetResult()

                        try
                            do! hang ct
                        finally
                            ended.SetResult "ended"

                        return 1 })

                do! started.Task
                scope.Cancel()
                return! run })

        Assert.That(r, Is.EqualTo(ValueNone: int voption))
        Assert.That(ended.Task.IsCompleted, Is.True)
    }

let ``runTask of a foreign task cancelled on its own raises ForeignCancelledError`` () : Task =
    task {
        let! e = catchAsync (fun () -> runTask (fun _ -> Task.FromCanceled<int>(CancellationToken(true))))
        Assert.That(e, Is.InstanceOf<ForeignCancelledError>())
    }

/// A hand-written observable: pushes what the test says to its one subscriber; records unsubscription.
type private Pushed<'T>() =
    let mutable observer: IObserver<'T> = null
    member val Unsubscribed = false with get, set
    member _.Observer = observer

    interface IObservable<'T> with
        member this.Subscribe o =
            observer <- o
            { new IDisposable with member _.Dispose() = this.Unsubscribed <- true }

/// Pushes `items` then ends as `finish` says, all during Subscribe (a synchronous observable).
let private syncObservable (items: int list) (finish: IObserver<int> -> unit) =
    { new IObservable<int> with
        member _.Subscribe o =
            for i in items do
                o.OnNext i

            finish o
            { new IDisposable with member _.Dispose() = () } }

let ``an observable is read as a stream: its items, then its end or its error`` () : Task =
    task {
        let! items = readAll (ofObservable (syncObservable [ 1; 2; 3 ] (fun o -> o.OnCompleted())))
        Assert.That(items, Is.EqualTo<int list> [ 1; 2; 3 ])

        let got = ResizeArray()
        let stream = ofObservable (syncObservable [ 1; 2 ] (fun o -> o.OnError(InvalidOperationException "obs failed")))

        let! e =
            catchAsync (fun () -> task {
                let en = stream.GetAsyncEnumerator()
                let mutable go = true

                while go do
                    let! more = en.MoveNextAsync()
                    if more then got.Add en.Current else go <- false })

        Assert.That(List.ofSeq got, Is.EqualTo<int list> [ 1; 2 ])
        Assert.That(e.Message, Is.EqualTo "obs failed")
    }

let ``an observable pushing beyond the capacity fails the stream with ForeignOverrunError`` () : Task =
    task {
        let! e = catchAsync (fun () -> readAll (ofObservableWith 4 (syncObservable [ 1..10 ] (fun o -> o.OnCompleted()))))
        Assert.That(e, Is.InstanceOf<ForeignOverrunError>())
    }

let ``disposing the stream of an observable unsubscribes`` () : Task =
    task {
        let source = Pushed<int>()
        let en = (ofObservable source).GetAsyncEnumerator()
        let next = en.MoveNextAsync()
        source.Observer.OnNext 7
        let! more = next
        Assert.That((more, en.Current), Is.EqualTo((true, 7)))
        do! en.DisposeAsync()
        Assert.That(source.Unsubscribed, Is.True)
    }

let ``a stream is pushed to an observer, and disposing the subscription cancels it`` () : Task =
    task {
        let got = ResizeArray()
        let completed = TaskCompletionSource()

        let observer =
            { new IObserver<int> with
                member _.OnNext v = lock got (fun () -> got.Add v)
                member _.OnError e = completed.TrySetException e |> ignore
                member _.OnCompleted() = completed.TrySetResult() |> ignore }

        use _ = (toObservable (taskSeq { yield! [ 1..5 ] })).Subscribe observer
        do! completed.Task.WaitAsync within
        Assert.That(List.ofSeq got, Is.EqualTo<int list> [ 1..5 ])

        let cancelled = TaskCompletionSource()

        let endless =
            taskSeq {
                try
                    yield 0
                    // The token the subscription's enumeration was given: disposing the subscription cancels it.
                    let! ct = TaskSeq.cancellationToken
                    do! hang ct
                finally
                    cancelled.TrySetResult() |> ignore
            }

        let first = TaskCompletionSource()

        let sub =
            (toObservable endless)
                .Subscribe(
                    { new IObserver<int> with
                        member _.OnNext _ = first.TrySetResult() |> ignore
                        member _.OnError _ = ()
                        member _.OnCompleted() = () }
                )

        do! first.Task.WaitAsync within
        sub.Dispose()
        do! cancelled.Task.WaitAsync within
    }

// ---- across actors ----

let ``a foreign error in an actor reaches the parent as a RemoteActorError boxing its type`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor ("infected", foreignFailsInActor)
                    return! p.Result()
                })

        match e with
        | :? RemoteActorError as r ->
            Assert.That(r.BoxedType, Is.EqualTo typeof<InvalidOperationException>)
            Assert.That(r.RemoteMessage, Is.EqualTo "foreign boom")
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }

let ``cancelling a context in another actor stops the foreign task inside it`` () : Task =
    task {
        let! first, stopped =
            withDaemonOf [ moduleName ] "aio_daemon" (fun portal -> task {
                let! ctx, first = portal.OpenContext foreignInContext
                do! ctx.Cancel()
                do! (ctx :> IAsyncDisposable).DisposeAsync()
                let! stopped = portal.Run stoppedForeignTasks
                return first, stopped })

        Assert.That(first, Is.EqualTo "up")
        Assert.That(stopped, Is.EqualTo 1)
    }

let ``cancelling an actor stops its runTask and the actor acknowledges`` () : Task =
    task {
        let! ack, e =
            nursery {
                let! d = startActor ("aio_forever", [ moduleName ])
                let call = d.Run runTaskForever
                // Calls over one channel are served in order: the first is running once the second answers.
                let! _ = d.Run stoppedForeignTasks
                let! ack = d.CancelActor()
                let! e = catchAsync (fun () -> call)
                return ack, e
            }

        Assert.That(ack, Is.True, "the actor acknowledged the cancel request")
        Assert.That(e, Is.Not.Null, "the foreign call ended with the actor's cancellation")
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ForeignTests" [
        Register.test "the first message unblocks the body and messages flow both ways" ``the first message unblocks the body and messages flow both ways``
        Register.test "the foreign side raising cancels the body and raises its error as itself" ``the foreign side raising cancels the body and raises its error as itself``
        Register.test "the foreign side raising before its first message fails the caller and the body never runs" ``the foreign side raising before its first message fails the caller and the body never runs``
        Register.test "the foreign side returning before its first message raises ForeignTaskExitedError" ``the foreign side returning before its first message raises ForeignTaskExitedError``
        Register.test "cancelling the structured side cancels the foreign token and waits for the foreign task" ``cancelling the structured side cancels the foreign token and waits for the foreign task``
        Register.test "the foreign side cancelled on its own raises ForeignCancelledError" ``the foreign side cancelled on its own raises ForeignCancelledError``
        Register.test "the structured side closing early stops the foreign task before returning" ``the structured side closing early stops the foreign task before returning``
        Register.test "the foreign side exiting early ends iteration quietly after every message" ``the foreign side exiting early ends iteration quietly after every message``
        Register.test "the foreign side exiting early raises ForeignTaskExitedError in a pending receive" ``the foreign side exiting early raises ForeignTaskExitedError in a pending receive``
        Register.test "a foreign task deaf to its token is reported as ForeignTaskStuckError" ``a foreign task deaf to its token is reported as ForeignTaskStuckError``
        Register.test "bad options are refused naming the field" ``bad options are refused naming the field``
        Register.test "runTask returns the foreign value and raises the foreign error as itself" ``runTask returns the foreign value and raises the foreign error as itself``
        Register.test "runTask under a cancelled scope cancels the foreign token and waits for it" ``runTask under a cancelled scope cancels the foreign token and waits for it``
        Register.test "runTask of a foreign task cancelled on its own raises ForeignCancelledError" ``runTask of a foreign task cancelled on its own raises ForeignCancelledError``
        Register.test "an observable is read as a stream: its items, then its end or its error" ``an observable is read as a stream: its items, then its end or its error``
        Register.test "an observable pushing beyond the capacity fails the stream with ForeignOverrunError" ``an observable pushing beyond the capacity fails the stream with ForeignOverrunError``
        Register.test "disposing the stream of an observable unsubscribes" ``disposing the stream of an observable unsubscribes``
        Register.test "a stream is pushed to an observer, and disposing the subscription cancels it" ``a stream is pushed to an observer, and disposing the subscription cancels it``
        Register.test "a foreign error in an actor reaches the parent as a RemoteActorError boxing its type" ``a foreign error in an actor reaches the parent as a RemoteActorError boxing its type``
        Register.test "cancelling a context in another actor stops the foreign task inside it" ``cancelling a context in another actor stops the foreign task inside it``
        Register.test "cancelling an actor stops its runTask and the actor acknowledges" ``cancelling an actor stops its runTask and the actor acknowledges``
    ]
