/// Cancellation travels down: the first error cancels the whole nursery; the cancel ladder ends
/// actors that do not cooperate.
module TractorNet.Tests.ActorCancellationTests

open System
open System.Diagnostics
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ActorFunctions

let ``one failing child cancels its siblings, daemons and the body`` () : Task =
    task {
        let mutable bodyCancelled = false

        let! e =
            task {
                try
                    do!
                        nursery {
                            let! _ = startActor ("daemon", [ moduleName ])
                            let! _ = runInActor ("hanger", hang)
                            let! _ = runInActor ("failer", fail "first error")

                            try
                                do! Task.Delay(-1, CancelScope.CurrentToken)
                            with :? OperationCanceledException ->
                                bodyCancelled <- true
                        }

                    return null
                with e ->
                    return e
            }

        Assert.That(e, Is.InstanceOf<RemoteActorError>())
        Assert.That((e :?> RemoteActorError).RemoteMessage, Is.EqualTo "first error")
        Assert.That(bodyCancelled, Is.True, "the body was cancelled")
    // NoZombies checks that the hanging actors' processes were reaped.
    }

let ``cancelling the nursery cancels a hanging child gracefully`` () : Task =
    task {
        let! n =
            nursery {
                let! n = currentNursery
                let! _ = runInActor hang
                n.Cancel()
                return n
            }
            |> fun t -> task { try return! t with :? OperationCanceledException -> return Unchecked.defaultof<_> }

        ignore n
    }

let ``a child blocked in synchronous code is killed by the ladder`` () : Task =
    task {
        let before = Actor.cancelLadder ()
        Actor.setCancelLadder { Graceful = TimeSpan.FromMilliseconds 300.0; Terminate = TimeSpan.FromMilliseconds 300.0 }

        try
            let mutable pid = 0

            let! _ =
                task {
                    try
                        return!
                            nursery {
                                let! n = currentNursery
                                let! p = runInActor blockSynchronously
                                pid <- p.Pid
                                n.Cancel()
                                return 0
                            }
                    with :? OperationCanceledException ->
                        return 0
                }

            Assert.That(pid, Is.GreaterThan 0)
            Assert.That((try Process.GetProcessById pid |> ignore; true with :? ArgumentException -> false), Is.False, "the blocked child is gone")
        finally
            Actor.setCancelLadder before
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ActorCancellationTests" [
        Register.test "one failing child cancels its siblings, daemons and the body" ``one failing child cancels its siblings, daemons and the body``
        Register.test "cancelling the nursery cancels a hanging child gracefully" ``cancelling the nursery cancels a hanging child gracefully``
        Register.test "a child blocked in synchronous code is killed by the ladder" ``a child blocked in synchronous code is killed by the ladder``
    ]
