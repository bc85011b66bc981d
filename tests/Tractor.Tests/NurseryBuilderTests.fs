/// The `nursery { }` builder itself (no child actors needed).
module TractorNet.Tests.NurseryBuilderTests

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

/// An async sequence that records its disposal.
type private Counting(n: int) =
    member val Disposed = 0 with get, set

    interface IAsyncEnumerable<int> with
        member this.GetAsyncEnumerator(_ct) =
            let mutable i = 0

            { new IAsyncEnumerator<int> with
                member _.Current = i
                member _.MoveNextAsync() =
                    i <- i + 1
                    ValueTask<bool>(i <= n)
                member _.DisposeAsync() =
                    this.Disposed <- this.Disposed + 1
                    ValueTask.CompletedTask }

let ``binds Task, Task of unit, ValueTask and Async and returns the value`` () : Task =
    task {
        let! v =
            nursery {
                let! a = Task.FromResult 1
                do! Task.Delay 1
                let! b = ValueTask<int>(2)
                let! c = async { return 3 }
                return a + b + c
            }

        Assert.That(v, Is.EqualTo 6)
    }

let ``for over an async sequence visits every item and disposes once`` () : Task =
    task {
        let source = Counting 5
        let seen = ResizeArray()

        do!
            nursery {
                for x in source :> IAsyncEnumerable<int> do
                    seen.Add x
            }

        Assert.That(List.ofSeq seen, Is.EqualTo<int list> [ 1..5 ])
        Assert.That(source.Disposed, Is.EqualTo 1)
    }

let ``an error inside an async for loop still disposes the sequence once`` () =
    let source = Counting 5

    Assert.ThrowsAsync<InvalidOperationException>(fun () ->
        nursery {
            for x in source :> IAsyncEnumerable<int> do
                if x = 3 then invalidOp "stop"
        }
        :> Task)
    |> ignore

    Assert.That(source.Disposed, Is.EqualTo 1)

let ``cancelling the nursery stops the body at its next bind and is absorbed for unit bodies`` () : Task =
    task {
        let mutable after = false

        do!
            nursery {
                let! n = currentNursery
                n.Cancel()
                do! Task.Delay 1
                after <- true
            }

        Assert.That(after, Is.False, "the bind after Cancel() was a checkpoint")
    }

let ``a body with a value that is cancelled raises OperationCanceledException`` () =
    Assert.CatchAsync<OperationCanceledException>(fun () ->
        nursery {
            let! n = currentNursery
            n.Cancel()
            let! v = Task.FromResult 1
            return v
        }
        :> Task)
    |> ignore

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "NurseryBuilderTests" [
        Register.test "binds Task, Task of unit, ValueTask and Async and returns the value" ``binds Task, Task of unit, ValueTask and Async and returns the value``
        Register.test "for over an async sequence visits every item and disposes once" ``for over an async sequence visits every item and disposes once``
        Register.test "an error inside an async for loop still disposes the sequence once" ``an error inside an async for loop still disposes the sequence once``
        Register.test "cancelling the nursery stops the body at its next bind and is absorbed for unit bodies" ``cancelling the nursery stops the body at its next bind and is absorbed for unit bodies``
        Register.test "a body with a value that is cancelled raises OperationCanceledException" ``a body with a value that is cancelled raises OperationCanceledException``
    ]
