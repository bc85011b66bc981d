/// Clean-up in `taskSeq { }`: `use`, `finally` and `DisposeAsync` run once, in order, on every path.
module TractorNet.Tests.TaskSeqDisposalTests

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Core.CompilerServices
open NUnit.Framework
open TractorNet

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

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskSeqDisposalTests" [
        Register.test "early break runs every pending clean-up once, innermost first" ``early break runs every pending clean-up once, innermost first``
        Register.test "a full enumeration runs every clean-up once" ``a full enumeration runs every clean-up once``
        Register.test "an exception in the body runs the clean-ups once and then surfaces" ``an exception in the body runs the clean-ups once and then surfaces``
        Register.test "an exception in the consumer of task { for } disposes the sequence once" ``an exception in the consumer of task { for } disposes the sequence once``
        Register.test "early DisposeAsync awaits an asynchronous clean-up" ``early DisposeAsync awaits an asynchronous clean-up``
        Register.test "a throwing finally does not stop the enclosing ones; DisposeAsync reports it" ``a throwing finally does not stop the enclosing ones; DisposeAsync reports it``
        Register.test "MoveNextAsync or DisposeAsync while a MoveNextAsync is pending is refused" ``MoveNextAsync or DisposeAsync while a MoveNextAsync is pending is refused``
    ]
