/// The current actor's own portal (tractor's local portal): calls run in-process; a context or
/// stream with oneself is refused at the call site (tractor's `test_ctx_with_self_actor`).
module TractorNet.Tests.SelfPortalTests

open System
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

let ``the current actor's own portal runs a call here, in this process`` () : Task =
    task {
        let me = Actor.portal ()
        let! pid = me.Run ActorFunctions.pid
        let! sum = me.Run(fun () -> ActorFunctions.add 2 3)
        Assert.That(me.Actor, Is.EqualTo(Actor.id ()))
        Assert.That((pid, sum, me.Pid), Is.EqualTo((Environment.ProcessId, 5, Environment.ProcessId)))
    }

let ``opening a context with oneself is refused at the call site`` () =
    let me = Actor.portal ()
    let e = Assert.Throws<InvalidOperationException>(fun () -> me.OpenContext(StreamingFunctions.simpleRpc, 1) |> ignore)
    Assert.That(e.Message, Does.Contain($"'{Actor.id ()}'").And.Contain "from itself")

let ``opening a stream from oneself or cancelling oneself through the portal is refused`` () =
    let me = Actor.portal ()
    let stream = Assert.Throws<InvalidOperationException>(fun () -> me.OpenStreamFrom(fun () -> StreamingFunctions.numbers 3) |> ignore)
    let cancel = Assert.Throws<InvalidOperationException>(fun () -> me.CancelActor() |> ignore)
    Assert.That(stream.Message, Does.Contain "from itself")
    Assert.That(cancel.Message, Does.Contain "cancel")

let ``inside a child, its own portal refuses a context with itself too`` () : Task =
    task {
        let! v =
            nursery {
                let! p = runInActor ("lonely", ActorFunctions.contextWithSelf)
                return! p.Result()
            }

        Assert.That(v, Does.Contain("'lonely#").And.Contain "from itself")
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "SelfPortalTests" [
        Register.test "the current actor's own portal runs a call here, in this process" ``the current actor's own portal runs a call here, in this process``
        Register.test "opening a context with oneself is refused at the call site" ``opening a context with oneself is refused at the call site``
        Register.test "opening a stream from oneself or cancelling oneself through the portal is refused" ``opening a stream from oneself or cancelling oneself through the portal is refused``
        Register.test "inside a child, its own portal refuses a context with itself too" ``inside a child, its own portal refuses a context with itself too``
    ]
