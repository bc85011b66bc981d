/// Unit tests of the `taskSeq { }` builder, the TaskSeq module and `for` over task sequences in `task { }`.
module TractorNet.Tests.TaskSeqTests

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

exception Boom of int

/// Waits for a task with a generous bound, so a hang fails the test instead of the run.
let waitUnit (t: Task) =
    let first = Task.WhenAny(t, Task.Delay(TimeSpan.FromSeconds 30.0)).GetAwaiter().GetResult()
    if not (obj.ReferenceEquals(first, t)) then Assert.Fail "timed out after 30 s"
    t.GetAwaiter().GetResult()

let wait (t: Task<'T>) : 'T =
    waitUnit t
    t.GetAwaiter().GetResult()

let waitVT (t: ValueTask) = waitUnit (t.AsTask())

/// Enumerates by hand: every element, then DisposeAsync.
let consume (s: IAsyncEnumerable<'T>) : 'T list =
    wait (
        task {
            let e = s.GetAsyncEnumerator()
            let items = ResizeArray()
            try
                let mutable go = true
                while go do
                    let! more = e.MoveNextAsync()
                    if more then items.Add e.Current else go <- false
            finally
                waitVT (e.DisposeAsync())
            return List.ofSeq items
        }
    )

/// A task that completes on the thread pool after its caller has started awaiting it.
let later (value: 'T) : Task<'T> = Task.Delay(1).ContinueWith(fun (_: Task) -> value)

type Log() =
    let items = ResizeArray<string>()
    member _.Add(item: string) = lock items (fun () -> items.Add item)
    member _.Items = lock items (fun () -> List.ofSeq items)
    member this.Count(item: string) = this.Items |> List.filter ((=) item) |> List.length

type Resource(log: Log, name: string) =
    interface IDisposable with
        member _.Dispose() = log.Add $"dispose {name}"

type AsyncResource(log: Log, name: string, gate: Task) =
    interface IAsyncDisposable with
        member _.DisposeAsync() =
            ValueTask(
                task {
                    do! gate
                    log.Add $"disposeAsync {name}"
                }
            )

type BothResource(log: Log) =
    interface IDisposable with
        member _.Dispose() = log.Add "sync"
    interface IAsyncDisposable with
        member _.DisposeAsync() =
            log.Add "async"
            ValueTask()

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

// ---- Disposal ----

let private nested (log: Log) =
    taskSeq {
        try
            use _ = new Resource(log, "outer")
            try
                for x in taskSeq { try yield! [ 1; 2; 3 ] finally log.Add "inner finally" } do
                    yield x
            finally
                log.Add "middle finally"
        finally
            log.Add "outer finally"
    }

let ``early break runs every pending clean-up once, innermost first`` () =
    let log = Log()
    let e = (nested log).GetAsyncEnumerator()
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    Assert.That(log.Items, Is.Empty)
    waitVT (e.DisposeAsync())
    waitVT (e.DisposeAsync())
    Assert.That(log.Items, eq [ "inner finally"; "middle finally"; "dispose outer"; "outer finally" ])
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.False, "a disposed enumerator has no more elements")

let ``a full enumeration runs every clean-up once`` () =
    let log = Log()
    Assert.That(consume (nested log), eq [ 1; 2; 3 ])
    Assert.That(log.Items, eq [ "inner finally"; "middle finally"; "dispose outer"; "outer finally" ])

let ``an exception in the body runs the clean-ups once and then surfaces`` () =
    let log = Log()
    let s =
        taskSeq {
            try
                yield 1
                raise (Boom 1)
            finally
                log.Add "finally"
        }
    let ex = Assert.Throws<Boom>(fun () -> consume s |> ignore)
    Assert.That(ex.Data0, eq 1)
    Assert.That(log.Items, eq [ "finally" ])

let ``an exception in the consumer of task { for } disposes the sequence once`` () =
    let log = Log()
    let run =
        task {
            for x in nested log do
                if x = 2 then raise (Boom 2)
        }
    Assert.Throws<Boom>(fun () -> waitUnit run) |> ignore
    Assert.That(log.Items, eq [ "inner finally"; "middle finally"; "dispose outer"; "outer finally" ])

let ``early DisposeAsync awaits an asynchronous clean-up`` () =
    let log = Log()
    let gate = TaskCompletionSource()
    let s =
        taskSeq {
            use _ = new AsyncResource(log, "r", gate.Task)
            yield 1
            yield 2
        }
    let e = s.GetAsyncEnumerator()
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    let disposing = e.DisposeAsync().AsTask()
    Assert.That(disposing.IsCompleted, Is.False, "DisposeAsync waits for the resource")
    gate.SetResult()
    waitUnit disposing
    Assert.That(log.Items, eq [ "disposeAsync r" ])

let ``a throwing finally does not stop the enclosing ones; DisposeAsync reports it`` () =
    let log = Log()
    let s =
        taskSeq {
            try
                try
                    yield 1
                finally
                    raise (Boom 9)
            finally
                log.Add "outer"
        }
    let e = s.GetAsyncEnumerator()
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    Assert.Throws<Boom>(fun () -> waitVT (e.DisposeAsync())) |> ignore
    Assert.That(log.Items, eq [ "outer" ])

let ``MoveNextAsync or DisposeAsync while a MoveNextAsync is pending is refused`` () =
    let gate = TaskCompletionSource<int>()
    let s =
        taskSeq {
            let! x = gate.Task
            yield x
        }
    let e = s.GetAsyncEnumerator()
    let pending = e.MoveNextAsync()
    Assert.That(pending.IsCompleted, Is.False)
    Assert.Throws<InvalidOperationException>(fun () -> e.MoveNextAsync() |> ignore) |> ignore
    Assert.Throws<InvalidOperationException>(fun () -> e.DisposeAsync() |> ignore) |> ignore
    gate.SetResult 5
    Assert.That(wait (pending.AsTask()), Is.True)
    Assert.That(e.Current, eq 5)
    waitVT (e.DisposeAsync())

// ---- Cancellation ----

let ``a cancelled token stops iteration at the next step with OperationCanceledException`` () =
    let log = Log()
    use cts = new CancellationTokenSource()
    let s =
        taskSeq {
            try
                for i in 0..100 do
                    yield i
            finally
                log.Add "finally"
        }
    let e = s.GetAsyncEnumerator cts.Token
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    cts.Cancel()
    Assert.That(
        (fun () -> wait (e.MoveNextAsync().AsTask()) |> ignore),
        Throws.InstanceOf<OperationCanceledException>()
    )
    Assert.That(log.Items, Is.Empty)
    waitVT (e.DisposeAsync())
    Assert.That(log.Items, eq [ "finally" ])

let ``WithCancellation passes its token; the body and nested sequences and Async see it`` () =
    use cts = new CancellationTokenSource()
    let seen = ResizeArray<CancellationToken>()
    let inner =
        taskSeq {
            let! token = TaskSeq.cancellationToken
            seen.Add token
            yield 1
        }
    let s =
        taskSeq {
            let! token = TaskSeq.cancellationToken
            seen.Add token
            yield! inner
            let! asyncToken = Async.CancellationToken
            seen.Add asyncToken
            yield 2
        }
    let run =
        task {
            let items = ResizeArray()
            let e = s.WithCancellation(cts.Token).GetAsyncEnumerator()
            let mutable go = true
            while go do
                let! more = e.MoveNextAsync()
                if more then items.Add e.Current else go <- false
            do! e.DisposeAsync()
            return List.ofSeq items
        }
    Assert.That(wait run, eq [ 1; 2 ])
    Assert.That(List.ofSeq seen, eq [ cts.Token; cts.Token; cts.Token ])

let ``TaskSeq.withCancellation enumerates its source with its own token`` () =
    use cts = new CancellationTokenSource()
    let s =
        taskSeq {
            let! token = TaskSeq.cancellationToken
            yield token
        }
    let seen = wait (TaskSeq.toListAsync (TaskSeq.withCancellation cts.Token s))
    Assert.That(seen, eq [ cts.Token ])

let ``the body can hand the token to its own awaits, which then stop promptly`` () =
    use cts = new CancellationTokenSource()
    let s =
        taskSeq {
            let! token = TaskSeq.cancellationToken
            yield 1
            do! Task.Delay(Timeout.Infinite, token)
            yield 2
        }
    let e = s.GetAsyncEnumerator cts.Token
    Assert.That(wait (e.MoveNextAsync().AsTask()), Is.True)
    let pending = e.MoveNextAsync().AsTask()
    Assert.That(pending.IsCompleted, Is.False)
    cts.Cancel()
    Assert.That((fun () -> wait pending |> ignore), Throws.InstanceOf<OperationCanceledException>())
    waitVT (e.DisposeAsync())

// ---- Performance shape ----

/// F# compiles taskSeq bodies to state machines only in optimised builds of the caller; the
/// test project is not optimised (fsc needs >10 GB and >10 min for it), so shape tests skip.
let requireOptimisedBuild () =
    let optimised =
        match Reflection.Assembly.GetExecutingAssembly().GetCustomAttributes(typeof<Diagnostics.DebuggableAttribute>, false) with
        | [| :? Diagnostics.DebuggableAttribute as d |] -> not d.IsJITOptimizerDisabled
        | _ -> true

    if not optimised then
        Assert.Ignore "the test assembly is not optimised, so taskSeq bodies here use the dynamic path (run with -c Release)"

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

// ---- TaskSeq module ----

let private src (xs: int list) = TaskSeq.ofList xs

let ``creating: empty, singleton, ofSeq, ofArray, ofList, init`` () =
    Assert.That(consume TaskSeq.empty<int>, Is.Empty)
    Assert.That(consume (TaskSeq.singleton 4), eq [ 4 ])
    Assert.That(consume (TaskSeq.ofSeq (seq { 1..3 })), eq [ 1; 2; 3 ])
    Assert.That(consume (TaskSeq.ofArray [| 1; 2 |]), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.ofList [ 5; 6 ]), eq [ 5; 6 ])
    Assert.That(consume (TaskSeq.init 3 (fun i -> i * i)), eq [ 0; 1; 4 ])
    Assert.Throws<ArgumentException>(fun () -> TaskSeq.init -1 id |> ignore) |> ignore
    Assert.Throws<ArgumentNullException>(fun () -> TaskSeq.ofSeq (null: int seq) |> ignore) |> ignore

let ``transforming: map, mapAsync, filter, filterAsync, choose, collect, indexed, append, concat, zip`` () =
    let xs = src [ 1; 2; 3; 4 ]
    Assert.That(consume (TaskSeq.map (fun x -> x * 2) xs), eq [ 2; 4; 6; 8 ])
    Assert.That(consume (TaskSeq.mapAsync (fun x -> later (x + 1)) xs), eq [ 2; 3; 4; 5 ])
    Assert.That(consume (TaskSeq.filter (fun x -> x % 2 = 0) xs), eq [ 2; 4 ])
    Assert.That(consume (TaskSeq.filterAsync (fun x -> later (x > 2)) xs), eq [ 3; 4 ])
    Assert.That(consume (TaskSeq.choose (fun x -> if x > 3 then Some(-x) else None) xs), eq [ -4 ])
    Assert.That(consume (TaskSeq.chooseAsync (fun x -> later (if x < 2 then Some x else None)) xs), eq [ 1 ])
    Assert.That(consume (TaskSeq.collect (fun x -> src [ x; x ]) (src [ 1; 2 ])), eq [ 1; 1; 2; 2 ])
    Assert.That(consume (TaskSeq.indexed (src [ 7; 8 ])), eq [ (0, 7); (1, 8) ])
    Assert.That(consume (TaskSeq.append (src [ 1 ]) (src [ 2 ])), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.concat (TaskSeq.ofList [ src [ 1 ]; TaskSeq.empty; src [ 2; 3 ] ])), eq [ 1; 2; 3 ])
    Assert.That(consume (TaskSeq.zip xs (src [ 9; 8 ])), eq [ (1, 9); (2, 8) ])

let ``take, truncate, skip, takeWhile, and their errors`` () =
    let xs = src [ 1; 2; 3; 4 ]
    Assert.That(consume (TaskSeq.take 2 xs), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.take 0 xs), Is.Empty)
    Assert.Throws<InvalidOperationException>(fun () -> consume (TaskSeq.take 5 xs) |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> TaskSeq.take -1 xs |> ignore) |> ignore
    Assert.That(consume (TaskSeq.truncate 2 xs), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.truncate 9 xs), eq [ 1; 2; 3; 4 ])
    Assert.That(consume (TaskSeq.skip 3 xs), eq [ 4 ])
    Assert.That(consume (TaskSeq.skip 4 xs), Is.Empty)
    Assert.Throws<InvalidOperationException>(fun () -> consume (TaskSeq.skip 5 xs) |> ignore) |> ignore
    Assert.That(consume (TaskSeq.takeWhile (fun x -> x < 3) xs), eq [ 1; 2 ])

let ``take and truncate never ask the source for more than they return`` () =
    let mutable pulled = 0
    let counting =
        taskSeq {
            for i in 1..100 do
                pulled <- i
                yield i
        }
    Assert.That(consume (TaskSeq.take 3 counting), eq [ 1; 2; 3 ])
    Assert.That(pulled, eq 3)
    Assert.That(consume (TaskSeq.truncate 2 counting), eq [ 1; 2 ])
    Assert.That(pulled, eq 2)

let ``consuming: iter, iterAsync, fold, foldAsync, sum, length, exists, forall, heads, lasts, isEmpty, to*`` () =
    let xs = src [ 1; 2; 3 ]
    let seen = ResizeArray()
    wait (TaskSeq.iter seen.Add xs)
    wait (TaskSeq.iterAsync (fun x -> task { seen.Add(x * 10) }) xs)
    Assert.That(List.ofSeq seen, eq [ 1; 2; 3; 10; 20; 30 ])
    Assert.That(wait (TaskSeq.fold (fun acc x -> acc * 10 + x) 0 xs), eq 123)
    Assert.That(wait (TaskSeq.foldAsync (fun acc x -> later (acc + x)) 100 xs), eq 106)
    Assert.That(wait (TaskSeq.sum xs), eq 6)
    Assert.That(wait (TaskSeq.sum (TaskSeq.ofList [ 1.5; 2.5 ])), eq 4.0)
    Assert.That(wait (TaskSeq.length xs), eq 3)
    Assert.That(wait (TaskSeq.exists ((=) 2) xs), Is.True)
    Assert.That(wait (TaskSeq.exists ((=) 5) xs), Is.False)
    Assert.That(wait (TaskSeq.forall (fun x -> x > 0) xs), Is.True)
    Assert.That(wait (TaskSeq.forall (fun x -> x > 1) xs), Is.False)
    Assert.That(wait (TaskSeq.head xs), eq 1)
    Assert.That(wait (TaskSeq.tryHead TaskSeq.empty<int>), eq None)
    Assert.Throws<ArgumentException>(fun () -> wait (TaskSeq.head TaskSeq.empty<int>) |> ignore) |> ignore
    Assert.That(wait (TaskSeq.last xs), eq 3)
    Assert.That(wait (TaskSeq.tryLast xs), eq (Some 3))
    Assert.Throws<ArgumentException>(fun () -> wait (TaskSeq.last TaskSeq.empty<int>) |> ignore) |> ignore
    Assert.That(wait (TaskSeq.isEmpty xs), Is.False)
    Assert.That(wait (TaskSeq.isEmpty TaskSeq.empty<int>), Is.True)
    Assert.That(wait (TaskSeq.toArrayAsync xs), eq [| 1; 2; 3 |])
    Assert.That(wait (TaskSeq.toListAsync xs), eq [ 1; 2; 3 ])
    Assert.That(TaskSeq.toList xs, eq [ 1; 2; 3 ])
    Assert.That(TaskSeq.toArray xs, eq [| 1; 2; 3 |])

let ``exists and tryHead stop pulling once they know the answer, and dispose the source`` () =
    let log = Log()
    let s =
        taskSeq {
            try
                for i in 1..100 do
                    log.Add $"pull {i}"
                    yield i
            finally
                log.Add "finally"
        }
    Assert.That(wait (TaskSeq.exists ((=) 2) s), Is.True)
    Assert.That(log.Items, eq [ "pull 1"; "pull 2"; "finally" ])
    Assert.That(wait (TaskSeq.tryHead s), eq (Some 1))
    Assert.That(log.Count "finally", eq 2)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskSeqTests" [
        Register.test "nothing runs before the first MoveNextAsync, not even at GetAsyncEnumerator" ``nothing runs before the first MoveNextAsync, not even at GetAsyncEnumerator``
        Register.test "each enumeration restarts the body, also two at once" ``each enumeration restarts the body, also two at once``
        Register.test "yield, yield! of seq and task sequences, for, while, if and match" ``yield, yield! of seq and task sequences, for, while, if and match``
        Register.test "let! and do! on Task, ValueTask and Async, completed and truly asynchronous" ``let! and do! on Task, ValueTask and Async, completed and truly asynchronous``
        Register.test "try/with catches an exception thrown after a yield, also across awaits" ``try/with catches an exception thrown after a yield, also across awaits``
        Register.test "an exception from the body surfaces at MoveNextAsync after the earlier elements" ``an exception from the body surfaces at MoveNextAsync after the earlier elements``
        Register.test "use disposes at the end of its scope; use! binds a task's resource" ``use disposes at the end of its scope; use! binds a task's resource``
        Register.test "use of an IAsyncDisposable awaits DisposeAsync before going on" ``use of an IAsyncDisposable awaits DisposeAsync before going on``
        Register.test "a resource that is both kinds of disposable is disposed asynchronously, once" ``a resource that is both kinds of disposable is disposed asynchronously, once``
        Register.test "early break runs every pending clean-up once, innermost first" ``early break runs every pending clean-up once, innermost first``
        Register.test "a full enumeration runs every clean-up once" ``a full enumeration runs every clean-up once``
        Register.test "an exception in the body runs the clean-ups once and then surfaces" ``an exception in the body runs the clean-ups once and then surfaces``
        Register.test "an exception in the consumer of task { for } disposes the sequence once" ``an exception in the consumer of task { for } disposes the sequence once``
        Register.test "early DisposeAsync awaits an asynchronous clean-up" ``early DisposeAsync awaits an asynchronous clean-up``
        Register.test "a throwing finally does not stop the enclosing ones; DisposeAsync reports it" ``a throwing finally does not stop the enclosing ones; DisposeAsync reports it``
        Register.test "MoveNextAsync or DisposeAsync while a MoveNextAsync is pending is refused" ``MoveNextAsync or DisposeAsync while a MoveNextAsync is pending is refused``
        Register.test "a cancelled token stops iteration at the next step with OperationCanceledException" ``a cancelled token stops iteration at the next step with OperationCanceledException``
        Register.test "WithCancellation passes its token; the body and nested sequences and Async see it" ``WithCancellation passes its token; the body and nested sequences and Async see it``
        Register.test "TaskSeq.withCancellation enumerates its source with its own token" ``TaskSeq.withCancellation enumerates its source with its own token``
        Register.test "the body can hand the token to its own awaits, which then stop promptly" ``the body can hand the token to its own awaits, which then stop promptly``
        Register.test "a body without real awaits completes MoveNextAsync synchronously, allocation-free per element" ``a body without real awaits completes MoveNextAsync synchronously, allocation-free per element``
        Register.test "a body the compiler cannot make a state machine runs dynamically with the same behaviour" ``a body the compiler cannot make a state machine runs dynamically with the same behaviour``
        Register.test "task { for } iterates a task sequence with awaits in the body and disposes it" ``task { for } iterates a task sequence with awaits in the body and disposes it``
        Register.test "creating: empty, singleton, ofSeq, ofArray, ofList, init" ``creating: empty, singleton, ofSeq, ofArray, ofList, init``
        Register.test "transforming: map, mapAsync, filter, filterAsync, choose, collect, indexed, append, concat, zip" ``transforming: map, mapAsync, filter, filterAsync, choose, collect, indexed, append, concat, zip``
        Register.test "take, truncate, skip, takeWhile, and their errors" ``take, truncate, skip, takeWhile, and their errors``
        Register.test "take and truncate never ask the source for more than they return" ``take and truncate never ask the source for more than they return``
        Register.test "consuming: iter, iterAsync, fold, foldAsync, sum, length, exists, forall, heads, lasts, isEmpty, to*" ``consuming: iter, iterAsync, fold, foldAsync, sum, length, exists, forall, heads, lasts, isEmpty, to*``
        Register.test "exists and tryHead stop pulling once they know the answer, and dispose the source" ``exists and tryHead stop pulling once they know the answer, and dispose the source``
    ]
