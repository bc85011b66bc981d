/// The task nursery: children are awaited, the first error cancels everything, errors are all reported.
module TractorNet.Tests.TaskNurseryTests

open System
open System.Collections.Concurrent
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ConcurrencyTestSupport

/// Completes once `count` parties have arrived; nothing cancels it (so failures after it are certain).
type private Barrier(count: int) =
    let mutable arrived = 0
    let all = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    member _.Arrive() : Task =
        if Interlocked.Increment(&arrived) = count then
            all.SetResult()
        all.Task

/// Runs `f` when cancellation reaches `ct`, then lets the cancellation end the task.
let private onCancel (ct: CancellationToken) (f: unit -> unit) =
    task {
        try
            do! hang ct
        finally
            if ct.IsCancellationRequested then f ()
    }

let ``the nursery waits for every child, even one still running when the body returns`` () =
    let gate = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    let finished = ConcurrentBag<string>()
    TaskNursery.run (fun n -> task {
        n.StartSoon(fun _ -> task {
            do! gate.Task
            finished.Add "waiter" })
        n.StartSoon(fun _ -> task {
            do! Task.Yield()
            finished.Add "releaser"
            gate.SetResult() }) })
    |> await
    Assert.That(finished, Is.EquivalentTo [ "waiter"; "releaser" ])

let ``StartChild returns the child's task and its value`` () =
    let r =
        TaskNursery.runValue (fun n -> task {
            let a = n.StartChild(fun ct -> task {
                do! Task.Delay(1, ct)
                return 20 })
            let b = n.StartChild(fun _ -> Task.FromResult 22)
            let! a = a
            let! b = b
            return a + b })
        |> await
    Assert.That(r, Is.EqualTo(ValueSome 42))

let ``a child's error cancels its siblings and the body, and is re-raised as itself`` () =
    let cancelled = ConcurrentBag<string>()
    let e =
        raisedBy (
            TaskNursery.run (fun n -> task {
                n.StartSoon(fun ct -> onCancel ct (fun () -> cancelled.Add "sibling"))
                n.StartSoon(fun _ -> task {
                    do! Task.Yield()
                    throwBoom () })
                do! onCancel n.Token (fun () -> cancelled.Add "body") })
        )
    Assert.That(e, Is.InstanceOf<InvalidOperationException>())
    Assert.That(e.Message, Is.EqualTo "boom")
    Assert.That(e.StackTrace, Does.Contain(nameof throwBoom), "the original stack trace is kept")
    Assert.That(cancelled, Is.EquivalentTo [ "sibling"; "body" ])

let ``an error in the body cancels every child and is re-raised as itself`` () =
    let cancelled = ConcurrentBag<int>()
    let started = Barrier 3
    let e =
        raisedBy (
            TaskNursery.run (fun n -> task {
                for i in 1..2 do
                    n.StartSoon(fun ct -> task {
                        do! started.Arrive()
                        do! onCancel ct (fun () -> cancelled.Add i) })
                do! started.Arrive()
                throwBoom () })
        )
    Assert.That(e.Message, Is.EqualTo "boom")
    Assert.That(cancelled, Is.EquivalentTo [ 1; 2 ])

let ``two errors are re-raised together as one MultiErrorException`` () =
    let both = Barrier 2
    let e =
        raisedBy (
            TaskNursery.run (fun n -> task {
                for name in [ "a"; "b" ] do
                    n.StartSoon(fun _ -> task {
                        // The barrier ignores cancellation: both children certainly fail.
                        do! both.Arrive()
                        raise (ApplicationException name) }) })
        )
    Assert.That(e, Is.InstanceOf<MultiErrorException>())
    let m = e :?> MultiErrorException
    Assert.That(m, Is.InstanceOf<AggregateException>())
    Assert.That(m.InnerExceptions |> Seq.map _.Message, Is.EquivalentTo [ "a"; "b" ])

let ``errors of an inner nursery stay nested inside the outer one's`` () =
    let all = Barrier 3
    let failAfterAll name (_: CancellationToken) =
        task {
            do! all.Arrive()
            raise (ApplicationException name)
        }
    let e =
        raisedBy (
            TaskNursery.run (fun outer -> task {
                outer.StartSoon(fun _ ->
                    TaskNursery.run (fun inner -> task {
                        inner.StartSoon(failAfterAll "inner a")
                        inner.StartSoon(failAfterAll "inner b") }))
                outer.StartSoon(failAfterAll "outer") })
        )
    let m = e :?> MultiErrorException
    let nested = m.InnerExceptions |> Seq.choose (function :? MultiErrorException as n -> Some n | _ -> None) |> Seq.exactlyOne
    Assert.That(nested.InnerExceptions |> Seq.map _.Message, Is.EquivalentTo [ "inner a"; "inner b" ])
    Assert.That(m.InnerExceptions |> Seq.map _.Message, Does.Contain "outer")
    Assert.That(m.Flatten().InnerExceptions.Count, Is.EqualTo 3)

let ``cancellation is awaited: a child that ignores it for a while is waited for`` () =
    let finished = ref false
    let started = Barrier 2
    let e =
        raisedBy (
            TaskNursery.run (fun n -> task {
                n.StartSoon(fun ct -> task {
                    do! started.Arrive()
                    try
                        do! hang ct
                    with :? OperationCanceledException ->
                        // Ignores the cancellation for a while, then finishes.
                        do! Task.Delay 100
                        finished.Value <- true })
                do! started.Arrive()
                throwBoom () })
        )
    Assert.That(e.Message, Is.EqualTo "boom")
    Assert.That(finished.Value, Is.True, "the nursery returned before its child had finished")

let ``the nursery's own Cancel is absorbed, and cancellations it causes are not errors`` () =
    let cancelled = ConcurrentBag<int>()
    let n' = ref Unchecked.defaultof<TaskNursery>
    let r =
        TaskNursery.runValue (fun n -> task {
            n'.Value <- n
            for i in 1..3 do
                n.StartSoon(fun ct -> onCancel ct (fun () -> cancelled.Add i))
            n.Cancel()
            return "body finished" })
        |> await
    Assert.That(r, Is.EqualTo(ValueSome "body finished"))
    Assert.That(cancelled, Is.EquivalentTo [ 1; 2; 3 ])
    Assert.That(n'.Value.CancelScope.CancelledCaught, Is.False, "nothing was cut short in the body")

let ``a Cancel from a child cuts the body short: runValue returns ValueNone`` () =
    let n' = ref Unchecked.defaultof<TaskNursery>
    let r =
        TaskNursery.runValue (fun n -> task {
            n'.Value <- n
            n.StartSoon(fun _ -> task { n.Cancel() })
            do! hang n.Token
            return 1 })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: int voption))
    Assert.That(n'.Value.CancelScope.CancelledCaught, Is.True)

let ``the nursery can be cancelled from outside`` () =
    let opened = TaskCompletionSource<TaskNursery>(TaskCreationOptions.RunContinuationsAsynchronously)
    let running =
        TaskNursery.run (fun n -> task {
            n.StartSoon(fun ct -> hang ct)
            opened.SetResult n
            do! hang n.Token })
    let n = await opened.Task
    Assert.That(running.IsCompleted, Is.False)
    n.Cancel()
    Assert.That(raisedBy running, Is.Null)
    Assert.That(n.IsClosed, Is.True)

let ``an enclosing scope's cancellation cancels the nursery and propagates to that scope`` () =
    let cancelled = ConcurrentBag<string>()
    let mutable afterNursery = false
    let r =
        CancelScope.moveOnAfter (TimeSpan.FromMilliseconds 20.0) (fun _ -> task {
            do!
                TaskNursery.run (fun n -> task {
                    n.StartSoon(fun ct -> onCancel ct (fun () -> cancelled.Add "child"))
                    do! onCancel n.Token (fun () -> cancelled.Add "body") })
            afterNursery <- true })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))
    Assert.That(cancelled, Is.EquivalentTo [ "child"; "body" ])
    Assert.That(afterNursery, Is.False)

let ``children cut short by an enclosing scope make the nursery raise the cancellation even if its body returned`` () =
    let outer = CancelScope()
    let mutable afterNursery = false
    let r =
        CancelScope.run outer (fun _ -> task {
            do!
                TaskNursery.run (fun n -> task {
                    n.StartSoon(fun ct -> hang ct)
                    n.StartSoon(fun _ -> task { outer.Cancel() }) })
            afterNursery <- true })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))
    Assert.That(afterNursery, Is.False)
    Assert.That(outer.CancelledCaught, Is.True)

let ``a deadline on the nursery's scope cancels it and is absorbed`` () =
    let r =
        TaskNursery.runValue (fun n -> task {
            n.CancelScope.CancelAfter(TimeSpan.FromMilliseconds 20.0)
            n.StartSoon(fun ct -> hang ct)
            do! hang n.Token
            return 1 })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: int voption))

let ``starting a child on a closed nursery is a clear error`` () =
    let n = TaskNursery.runValue (fun n -> task { return n }) |> await
    Assert.That(n.Value.IsClosed, Is.True)
    let e = Assert.Throws<InvalidOperationException>(fun () -> n.Value.StartSoon(fun _ -> Task.CompletedTask))
    Assert.That(e.Message, Does.Contain "closed")

let ``a child can start another child after the body has returned; the nursery waits for it`` () =
    let finished = ref false
    TaskNursery.run (fun n -> task {
        n.StartSoon(fun _ -> task {
            do! Task.Yield()
            n.StartSoon(fun _ -> task {
                do! Task.Delay 20
                finished.Value <- true })
            |> ignore }) })
    |> await
    Assert.That(finished.Value, Is.True)

let ``children run with the nursery's scope as ambient scope, whoever starts them`` () =
    let fromOutside = TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)
    TaskNursery.run (fun n -> task {
        let! inBody = n.StartChild(fun ct -> task { return obj.ReferenceEquals(CancelScope.Current, n.CancelScope) && ct = n.Token })
        Assert.That(inBody, Is.True)
        // Started from a thread with no ambient scope at all.
        do!
            Task.Run(fun () ->
                n.StartSoon(fun _ -> task { fromOutside.SetResult(obj.ReferenceEquals(CancelScope.Current, n.CancelScope)) }))
        let! seen = fromOutside.Task
        Assert.That(seen, Is.True) })
    |> await

let ``checkpoint in a child throws once the nursery is cancelled`` () =
    let reached = ref false
    let started = Barrier 2
    TaskNursery.run (fun n -> task {
        n.StartSoon(fun _ -> task {
            do! started.Arrive()
            while true do
                CancelScope.checkpoint ()
                do! Task.Yield()
            reached.Value <- true })
        do! started.Arrive()
        n.Cancel() })
    |> await
    Assert.That(reached.Value, Is.False)

let ``a cancellation a child raises on its own is an error`` () =
    use other = new CancellationTokenSource()
    other.Cancel()
    let e = raisedBy (TaskNursery.run (fun n -> task { n.StartSoon(fun _ -> Task.Delay(Timeout.Infinite, other.Token)) }))
    Assert.That(e, Is.InstanceOf<OperationCanceledException>())

let ``a child that throws before returning a task is reported`` () =
    let e = raisedBy (TaskNursery.run (fun n -> task { n.StartSoon(fun _ -> throwBoom (); Task.CompletedTask) }))
    Assert.That(e.Message, Is.EqualTo "boom")

let ``a child that returns a null task is a clear error`` () =
    let e = raisedBy (TaskNursery.run (fun n -> task { n.StartSoon(Func<CancellationToken, Task>(fun _ -> null)) }))
    Assert.That(e, Is.InstanceOf<InvalidOperationException>())
    Assert.That(e.Message, Does.Contain "null")

let ``Start returns the started value while the child keeps running in the nursery`` () =
    let release = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    let finished = ref false
    TaskNursery.run (fun n -> task {
        let! port =
            n.Start(fun started _ -> task {
                started.Started 8080
                do! release.Task
                finished.Value <- true })
        Assert.That(port, Is.EqualTo 8080)
        Assert.That(finished.Value, Is.False, "Start returned only once the child signalled")
        release.SetResult() })
    |> await
    Assert.That(finished.Value, Is.True)

let ``Start fails with the child's error when it fails before starting; the nursery reports it once`` () =
    let seenByBody = ref null
    let e =
        raisedBy (
            TaskNursery.run (fun n -> task {
                try
                    let! _ = n.Start(fun (_: StartSignal<int>) _ -> task { throwBoom () })
                    ()
                with e ->
                    seenByBody.Value <- e
                    raise e })
        )
    Assert.That(e.Message, Is.EqualTo "boom")
    Assert.That(e, Is.SameAs seenByBody.Value)

let ``Start fails when the child returns without signalling`` () =
    let e =
        raisedBy (TaskNursery.run (fun n -> task { n.Start(fun (_: StartSignal<int>) _ -> Task.CompletedTask) |> ignore }))
    Assert.That(e, Is.InstanceOf<InvalidOperationException>())
    Assert.That(e.Message, Does.Contain "Started")

let ``signalling Started twice is an error of the child`` () =
    let e =
        raisedBy (
            TaskNursery.run (fun n -> task {
                let! v =
                    n.Start(fun started _ -> task {
                        started.Started 1
                        started.Started 2 })
                Assert.That(v, Is.EqualTo 1) })
        )
    Assert.That(e, Is.InstanceOf<InvalidOperationException>())

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskNurseryTests" [
        Register.test "the nursery waits for every child, even one still running when the body returns" ``the nursery waits for every child, even one still running when the body returns``
        Register.test "StartChild returns the child's task and its value" ``StartChild returns the child's task and its value``
        Register.test "a child's error cancels its siblings and the body, and is re-raised as itself" ``a child's error cancels its siblings and the body, and is re-raised as itself``
        Register.test "an error in the body cancels every child and is re-raised as itself" ``an error in the body cancels every child and is re-raised as itself``
        Register.test "two errors are re-raised together as one MultiErrorException" ``two errors are re-raised together as one MultiErrorException``
        Register.test "errors of an inner nursery stay nested inside the outer one's" ``errors of an inner nursery stay nested inside the outer one's``
        Register.test "cancellation is awaited: a child that ignores it for a while is waited for" ``cancellation is awaited: a child that ignores it for a while is waited for``
        Register.test "the nursery's own Cancel is absorbed, and cancellations it causes are not errors" ``the nursery's own Cancel is absorbed, and cancellations it causes are not errors``
        Register.test "a Cancel from a child cuts the body short: runValue returns ValueNone" ``a Cancel from a child cuts the body short: runValue returns ValueNone``
        Register.test "the nursery can be cancelled from outside" ``the nursery can be cancelled from outside``
        Register.test "an enclosing scope's cancellation cancels the nursery and propagates to that scope" ``an enclosing scope's cancellation cancels the nursery and propagates to that scope``
        Register.test "children cut short by an enclosing scope make the nursery raise the cancellation even if its body returned" ``children cut short by an enclosing scope make the nursery raise the cancellation even if its body returned``
        Register.test "a deadline on the nursery's scope cancels it and is absorbed" ``a deadline on the nursery's scope cancels it and is absorbed``
        Register.test "starting a child on a closed nursery is a clear error" ``starting a child on a closed nursery is a clear error``
        Register.test "a child can start another child after the body has returned; the nursery waits for it" ``a child can start another child after the body has returned; the nursery waits for it``
        Register.test "children run with the nursery's scope as ambient scope, whoever starts them" ``children run with the nursery's scope as ambient scope, whoever starts them``
        Register.test "checkpoint in a child throws once the nursery is cancelled" ``checkpoint in a child throws once the nursery is cancelled``
        Register.test "a cancellation a child raises on its own is an error" ``a cancellation a child raises on its own is an error``
        Register.test "a child that throws before returning a task is reported" ``a child that throws before returning a task is reported``
        Register.test "a child that returns a null task is a clear error" ``a child that returns a null task is a clear error``
        Register.test "Start returns the started value while the child keeps running in the nursery" ``Start returns the started value while the child keeps running in the nursery``
        Register.test "Start fails with the child's error when it fails before starting; the nursery reports it once" ``Start fails with the child's error when it fails before starting; the nursery reports it once``
        Register.test "Start fails when the child returns without signalling" ``Start fails when the child returns without signalling``
        Register.test "signalling Started twice is an error of the child" ``signalling Started twice is an error of the child``
    ]
