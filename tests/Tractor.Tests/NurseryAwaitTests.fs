/// What `nursery { }` awaits: every operation the body awaited has ended when the nursery
/// returns, also when its cancellation cut the wait short; and the F# forms a user writes there
/// (contexts opened directly, raising) compile as written.
module TractorNet.Tests.NurseryAwaitTests

open System
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

/// Runs `body` with a short cancel ladder (restored after).
let private withLadder (graceful: float) (terminate: float) (body: unit -> Task<'T>) : Task<'T> =
    task {
        let before = Actor.cancelLadder ()
        Actor.setCancelLadder { Graceful = TimeSpan.FromSeconds graceful; Terminate = TimeSpan.FromSeconds terminate }

        try
            return! body ()
        finally
            Actor.setCancelLadder before
    }

// In each test the daemon belongs to an outer nursery and outlives the cancelled inner one, so
// what the inner nursery awaited on it ends only when the cancellation has travelled to the
// daemon and its answer back.

let ``a call awaited in a cancelled nursery has ended when the nursery returns`` () : Task =
    task {
        let mutable call: Task<int> = null

        let! e =
            nursery {
                let! d = startActor ("outer-daemon", [ ActorFunctions.moduleName ])

                let! e =
                    catchAsync (fun () ->
                        nursery {
                            call <- d.Run ActorFunctions.hang
                            let! n = currentNursery
                            n.Cancel()
                            let! _ = call
                            return ()
                        })

                Assert.That(call.IsCompleted, Is.True, "the call outlived the nursery")
                let! _ = d.CancelActor()
                return e
            }

        Assert.That(e, Is.Null, "the nursery absorbed its own cancellation")
    }

let ``a context awaited in a cancelled nursery has ended when the nursery returns`` () : Task =
    task {
        let mutable result: Task<int> = null

        let! e =
            nursery {
                let! d = startActor ("outer-daemon", [ StreamingFunctions.moduleName ])

                let! e =
                    catchAsync (fun () ->
                        nursery {
                            let! ctx, _ = d.OpenContext StreamingFunctions.startThenHang
                            result <- ctx.Result()
                            let! n = currentNursery
                            n.Cancel()
                            let! _ = result
                            return ()
                        })

                Assert.That(result.IsCompleted, Is.True, "the context outlived the nursery")
                let! _ = d.CancelActor()
                return e
            }

        Assert.That(e, Is.Null, "the nursery absorbed its own cancellation")
    }

let ``a foreign task that ignores cancellation is given the ladder's time, then left behind`` () : Task =
    withLadder 0.1 0.1 (fun () ->
        task {
            let never = TaskCompletionSource<int>()

            let! e =
                catchAsync (fun () ->
                    nursery {
                        let! n = currentNursery
                        n.Cancel()
                        let! _ = never.Task
                        return ()
                    })

            Assert.That(e, Is.Null)
            Assert.That(never.Task.IsCompleted, Is.False)
        })

/// Compiles only if `portal.OpenContext(f, arg)` and its result's members type-check directly in
/// `nursery { }` (they once needed a `task { }` around them: FS0072/FS0041).
let private contextDirectlyInNursery () =
    nursery {
        let! d = startActor ("direct", [ StreamingFunctions.moduleName ])
        let! ctx, first = d.OpenContext(StreamingFunctions.simpleRpc, 10)
        use _ = ctx
        let stream = ctx.OpenStream<string, string>()
        do! stream.Send "ping"
        let e = stream.GetAsyncEnumerator CancellationToken.None
        let! _ = e.MoveNextAsync()
        let pong = e.Current
        do! stream.Stop()
        let! count = ctx.Result()
        let! _ = d.CancelActor()
        return first, pong, count
    }

let ``OpenContext with an argument type-checks directly in nursery`` () : Task =
    task {
        let! first, pong, count = contextDirectlyInNursery ()
        Assert.That((first, pong, count), Is.EqualTo((11, "pong", 1)))
    }

let ``raise works as a statement anywhere in a nursery and return raise where a value is due`` () : Task =
    task {
        let boom = InvalidOperationException "boom"

        let! a =
            catchAsync (fun () ->
                nursery {
                    do! Task.Yield()
                    raise boom
                })

        let! b =
            catchAsync (fun () ->
                nursery {
                    for i in [ 1; 2 ] do
                        do! Task.Delay 1
                        if i = 2 then raise boom
                })

        let! c =
            catchAsync (fun () ->
                nursery {
                    let! x = Task.FromResult 1
                    if x = 1 then return raise boom else return x
                })

        for e in [ a; b; c ] do
            Assert.That(e, Is.SameAs boom)
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "NurseryAwaitTests" [
        Register.test "a call awaited in a cancelled nursery has ended when the nursery returns" ``a call awaited in a cancelled nursery has ended when the nursery returns``
        Register.test "a context awaited in a cancelled nursery has ended when the nursery returns" ``a context awaited in a cancelled nursery has ended when the nursery returns``
        Register.test "a foreign task that ignores cancellation is given the ladder's time, then left behind" ``a foreign task that ignores cancellation is given the ladder's time, then left behind``
        Register.test "OpenContext with an argument type-checks directly in nursery" ``OpenContext with an argument type-checks directly in nursery``
        Register.test "raise works as a statement anywhere in a nursery and return raise where a value is due" ``raise works as a statement anywhere in a nursery and return raise where a value is due``
    ]
