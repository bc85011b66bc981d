/// Cancellation of task sequences: tokens, `WithCancellation`, and awaits that honour them.
module TractorNet.Tests.TaskSeqCancellationTests

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Core.CompilerServices
open NUnit.Framework
open TractorNet

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

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskSeqCancellationTests" [
        Register.test "a cancelled token stops iteration at the next step with OperationCanceledException" ``a cancelled token stops iteration at the next step with OperationCanceledException``
        Register.test "WithCancellation passes its token; the body and nested sequences and Async see it" ``WithCancellation passes its token; the body and nested sequences and Async see it``
        Register.test "TaskSeq.withCancellation enumerates its source with its own token" ``TaskSeq.withCancellation enumerates its source with its own token``
        Register.test "the body can hand the token to its own awaits, which then stop promptly" ``the body can hand the token to its own awaits, which then stop promptly``
    ]
