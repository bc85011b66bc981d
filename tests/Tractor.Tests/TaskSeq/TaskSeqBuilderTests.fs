/// The `taskSeq { }` builder: laziness and restart, every construct, the performance shape of a
/// body without real awaits, the dynamic fallback, and `for` over a task sequence in `task { }`.
module TractorNet.Tests.TaskSeqBuilderTests

// One test builds a body outside any state machine, to exercise the builder's dynamic fallback.
#nowarn "3511"
#nowarn "3501"

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Core.CompilerServices
open NUnit.Framework
open TractorNet

// ---- Laziness and restart ----

let ``nothing runs before the first MoveNextAsync, not even at GetAsyncEnumerator`` () =
    let log = Log()
    let s =
        taskSeq {
            log.Add "start"
            yield 1
        }
    let e = s.GetAsyncEnumerator()
    Assert.That(log.Items, Is.Empty)
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    Assert.That(log.Items, eq [ "start" ])
    waitVT (e.DisposeAsync())

let ``each enumeration restarts the body, also two at once`` () =
    let mutable starts = 0
    let s =
        taskSeq {
            starts <- starts + 1
            let mutable i = 0
            while i < 3 do
                yield i
                i <- i + 1
        }
    Assert.That(consume s, eq [ 0; 1; 2 ])
    Assert.That(consume s, eq [ 0; 1; 2 ])
    Assert.That(starts, eq 2)
    let a = s.GetAsyncEnumerator()
    let b = s.GetAsyncEnumerator()
    let step (e: IAsyncEnumerator<int>) = if wait (e.MoveNextAsync().AsTask()) then Some e.Current else None
    let interleaved = [ step a; step b; step a; step a; step b; step a ]
    Assert.That(interleaved, eq [ Some 0; Some 0; Some 1; Some 2; Some 1; None ])
    waitVT (a.DisposeAsync())
    waitVT (b.DisposeAsync())

// ---- Constructs ----

let ``yield, yield! of seq and task sequences, for, while, if and match`` () =
    let inner = taskSeq { yield! [ 10; 11 ] }
    let s =
        taskSeq {
            yield 1
            yield! [ 2; 3 ]
            yield! inner
            for x in [ 4; 5 ] do
                yield x
            for x in inner do
                yield x + 10
            let mutable i = 0
            while i < 2 do
                yield 30 + i
                i <- i + 1
            if i = 2 then yield 40
            if i = 3 then yield -1
            match i with
            | 2 -> yield 50
            | _ -> yield -2
        }
    Assert.That(consume s, eq [ 1; 2; 3; 10; 11; 4; 5; 20; 21; 30; 31; 40; 50 ])

let ``let! and do! on Task, ValueTask and Async, completed and truly asynchronous`` () =
    let s =
        taskSeq {
            let! a = Task.FromResult 1
            let! b = later 2
            let! c = ValueTask<int> 3
            let! d = ValueTask<int>(later 4)
            let! e = async { return 5 }
            let! f =
                async {
                    do! Async.Sleep 1
                    return 6
                }
            do! Task.CompletedTask
            do! (later () :> Task)
            do! ValueTask()
            do! ValueTask(later () :> Task)
            yield! [ a; b; c; d; e; f ]
        }
    Assert.That(consume s, eq [ 1; 2; 3; 4; 5; 6 ])

let ``try/with catches an exception thrown after a yield, also across awaits`` () =
    let s =
        taskSeq {
            try
                yield 1
                let! x = later 2
                yield x
                raise (Boom 7)
                yield -1
            with Boom n ->
                yield 100 + n
        }
    Assert.That(consume s, eq [ 1; 2; 107 ])

let ``an exception from the body surfaces at MoveNextAsync after the earlier elements`` () =
    let s =
        taskSeq {
            yield 1
            let! _ = later 0
            raise (Boom 3)
        }
    let e = s.GetAsyncEnumerator()
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    Assert.That(e.Current, eq 1)
    let next = e.MoveNextAsync()
    Assert.Throws<Boom>(fun () -> wait (next.AsTask()) |> ignore) |> ignore
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.False, "a faulted sequence is over")
    waitVT (e.DisposeAsync())

let ``use disposes at the end of its scope; use! binds a task's resource`` () =
    let log = Log()
    let s =
        taskSeq {
            do
                use _ = new Resource(log, "a")
                log.Add "in a"
            yield 1
            use! _ = Task.FromResult(new Resource(log, "b"))
            log.Add "in b"
            yield 2
        }
    Assert.That(consume s, eq [ 1; 2 ])
    Assert.That(log.Items, eq [ "in a"; "dispose a"; "in b"; "dispose b" ])

let ``use of an IAsyncDisposable awaits DisposeAsync before going on`` () =
    let log = Log()
    let s =
        taskSeq {
            do!
                taskSeq {
                    use _ = new AsyncResource(log, "r", later ())
                    yield 1
                }
                |> TaskSeq.iter (fun _ -> log.Add "body")
            log.Add "after"
            yield 2
        }
    Assert.That(consume s, eq [ 2 ])
    Assert.That(log.Items, eq [ "body"; "disposeAsync r"; "after" ])

let ``a resource that is both kinds of disposable is disposed asynchronously, once`` () =
    let log = Log()
    let s =
        taskSeq {
            use _ = new BothResource(log)
            yield 1
        }
    Assert.That(consume s, eq [ 1 ])
    Assert.That(log.Items, eq [ "async" ])

// ---- Performance shape ----

let ``a body without real awaits completes MoveNextAsync synchronously, allocation-free per element`` () =
    requireOptimisedBuild ()
    let n = 10_000
    let s = taskSeq { for i in 0 .. n - 1 -> i }
    Assert.That(s.GetType().IsGenericType && s.GetType().GetGenericTypeDefinition() = typedefof<TaskSeqStatic<ResumableStateMachine<TaskSeqBase<int>>, int>>, $"compiled to a state machine: {s.GetType()}")
    let sumSync () =
        let e = s.GetAsyncEnumerator()
        let mutable sum = 0L
        let mutable count = 0
        let mutable vt = e.MoveNextAsync()
        while vt.IsCompletedSuccessfully && vt.Result do
            sum <- sum + int64 e.Current
            count <- count + 1
            vt <- e.MoveNextAsync()
        Assert.That(vt.IsCompletedSuccessfully, Is.True, "every MoveNextAsync completed synchronously")
        waitVT (e.DisposeAsync())
        count, sum
    sumSync () |> ignore
    let before = GC.GetAllocatedBytesForCurrentThread()
    let count, sum = sumSync ()
    let allocated = GC.GetAllocatedBytesForCurrentThread() - before
    Assert.That(count, eq n)
    Assert.That(sum, eq (int64 n * int64 (n - 1) / 2L))
    Assert.That(allocated, Is.LessThan 2_000L, $"{allocated} bytes for {n} elements")

// ---- Dynamic fallback ----

/// Builds a body with the builder's members outside any state machine: the compiler cannot
/// compile it statically (FS3511), so it runs on the dynamic path.
let private dynamicBody (log: Log) : TaskSeqCode<int> =
    let b = taskSeq
    b.Combine(
        b.Yield 1,
        b.Delay(fun () ->
            b.Combine(
                b.TryFinally(
                    b.Delay(fun () -> b.Bind(later 2, (fun x -> b.Combine(b.Yield x, b.Delay(fun () -> b.Yield 3))))),
                    (fun () -> log.Add "finally")
                ),
                b.Delay(fun () ->
                    b.Combine(
                        b.For([ 4; 5 ], (fun x -> b.Bind(ValueTask<int>(later x), (fun y -> b.Yield y)))),
                        b.Delay(fun () ->
                            b.Combine(
                                b.TryWith(b.Delay(fun () -> b.Combine(b.Yield 6, b.Delay(fun () -> raise (Boom 0)))), (fun _ -> b.Yield 7)),
                                b.Delay(fun () -> b.For(taskSeq { yield! [ 8; 9 ] }, (fun x -> b.Yield x)))
                            ))
                    ))
            ))
    )

let ``a body the compiler cannot make a state machine runs dynamically with the same behaviour`` () =
    let log = Log()
    let s = taskSeq.Run(taskSeq.Delay(fun () -> dynamicBody log))
    Assert.That(s, Is.InstanceOf<TaskSeqDynamic<int>>())
    Assert.That(consume s, eq [ 1 .. 9 ])
    Assert.That(consume s, eq [ 1 .. 9 ])
    Assert.That(log.Items, eq [ "finally"; "finally" ])
    let e = s.GetAsyncEnumerator()
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    waitVT (e.DisposeAsync())
    Assert.That(log.Items, eq [ "finally"; "finally"; "finally" ], "early break on the dynamic path")

// ---- for in task { } ----

let ``task { for } iterates a task sequence with awaits in the body and disposes it`` () =
    let log = Log()
    let s =
        taskSeq {
            try
                yield! [ 1; 2; 3 ]
            finally
                log.Add "finally"
        }
    let run =
        task {
            let mutable sum = 0
            for x in s do
                let! y = later (x * 10)
                sum <- sum + y
            return sum
        }
    Assert.That(wait run, eq 60)
    Assert.That(log.Items, eq [ "finally" ])

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskSeqBuilderTests" [
        Register.test "nothing runs before the first MoveNextAsync, not even at GetAsyncEnumerator" ``nothing runs before the first MoveNextAsync, not even at GetAsyncEnumerator``
        Register.test "each enumeration restarts the body, also two at once" ``each enumeration restarts the body, also two at once``
        Register.test "yield, yield! of seq and task sequences, for, while, if and match" ``yield, yield! of seq and task sequences, for, while, if and match``
        Register.test "let! and do! on Task, ValueTask and Async, completed and truly asynchronous" ``let! and do! on Task, ValueTask and Async, completed and truly asynchronous``
        Register.test "try/with catches an exception thrown after a yield, also across awaits" ``try/with catches an exception thrown after a yield, also across awaits``
        Register.test "an exception from the body surfaces at MoveNextAsync after the earlier elements" ``an exception from the body surfaces at MoveNextAsync after the earlier elements``
        Register.test "use disposes at the end of its scope; use! binds a task's resource" ``use disposes at the end of its scope; use! binds a task's resource``
        Register.test "use of an IAsyncDisposable awaits DisposeAsync before going on" ``use of an IAsyncDisposable awaits DisposeAsync before going on``
        Register.test "a resource that is both kinds of disposable is disposed asynchronously, once" ``a resource that is both kinds of disposable is disposed asynchronously, once``
        Register.test "a body without real awaits completes MoveNextAsync synchronously, allocation-free per element" ``a body without real awaits completes MoveNextAsync synchronously, allocation-free per element``
        Register.test "a body the compiler cannot make a state machine runs dynamically with the same behaviour" ``a body the compiler cannot make a state machine runs dynamically with the same behaviour``
        Register.test "task { for } iterates a task sequence with awaits in the body and disposes it" ``task { for } iterates a task sequence with awaits in the body and disposes it``
    ]
