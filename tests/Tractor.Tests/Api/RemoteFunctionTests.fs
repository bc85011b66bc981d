/// Functions prepared once (`Remote.Function`) and called on a portal with each call's arguments;
/// and the receive loop's hand-off of calls and replies (a call that blocks its thread must never
/// stop the actor from serving).
module TractorNet.Tests.RemoteFunctionTests

open System
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ActorFunctions

// ---------------------------------------------------------------- what the daemon runs

let private thisModule = "TractorNet.Tests.RemoteFunctionTests"

let inc (x: int) = Task.FromResult(x + 1)
let describe (a: int) (b: string) (c: float) = task { return $"{a}|{b}|{c}" }
let subtract (a: int) (b: int) = task { return a - b }
let ownPid () = task { return Environment.ProcessId }
let half (x: int) = async { return x / 2 }
let length (s: string) = ValueTask<int>(s.Length)
let sumPair (a: int, b: int) = task { return a + b }
let failWith (message: string) : Task<int> = task { return invalidOp message }
let callBack (u: Unserialisable) = task { return u.Callback 1 }

/// Set while `spinUntilCancelled` occupies its thread (in the actor's process).
let mutable private spinning = 0

/// Keeps its thread busy, never awaiting, until its call is cancelled.
let spinUntilCancelled () : Task<int> =
    let token = CancelScope.CurrentToken
    Volatile.Write(&spinning, 1)

    try
        while not token.IsCancellationRequested do
            Thread.SpinWait 1000

        raise (OperationCanceledException token)
    finally
        Volatile.Write(&spinning, 0)

let isSpinning () = task { return Volatile.Read &spinning = 1 }

type private Counter() =
    member _.Next(x: int) = Task.FromResult x

// ---------------------------------------------------------------- tests

let ``a prepared function runs in the actor with each call's arguments`` () : Task =
    task {
        let incF = Remote.Function inc
        let describeF = Remote.Function describe
        let subtractF = Remote.Function subtract
        let pidF = Remote.Function ownPid
        let halfF = Remote.Function half
        let lengthF = Remote.Function length
        let pairF = Remote.Function sumPair

        let! values, daemonPid =
            nursery {
                let! d = startActor ("prepared", [ thisModule ])
                let! a = d.Run(incF, 41)
                let! b = d.Run(incF, -1)
                let! c = d.Run(subtractF, 10, 3)
                let! c2 = d.Run(subtractF, (3, 10))
                let! s = d.Run(describeF, 1, "x", 2.5)
                let! p = d.Run pidF
                let! h = d.Run(halfF, 84)
                let! l = d.Run(lengthF, "four")
                let! sum = d.Run(pairF, (20, 22))
                let! sum2 = d.Run(pairF, 1, 2)
                let! _ = d.CancelActor()
                return [ string a; string b; string c; string c2; s; string (p = d.Pid); string h; string l; string sum; string sum2 ], d.Pid
            }

        Assert.That(values, Is.EqualTo<string list> [ "42"; "0"; "7"; "-7"; "1|x|2.5"; "True"; "42"; "4"; "42"; "3" ])
        Assert.That(daemonPid, Is.Not.EqualTo Environment.ProcessId)
    }

let ``a prepared function's failure raises RemoteActorError and the actor serves on`` () : Task =
    task {
        let failF = Remote.Function failWith
        let incF = Remote.Function inc

        let! error, after =
            nursery {
                let! d = startActor ("prepared-failing", [ thisModule ])

                let! error =
                    task {
                        try
                            let! _ = d.Run(failF, "prepared failure")
                            return None
                        with :? RemoteActorError as e ->
                            return Some e
                    }

                let! after = d.Run(incF, 1)
                let! _ = d.CancelActor()
                return error, after
            }

        Assert.That(error.IsSome, "the call raised RemoteActorError")
        Assert.That(error.Value.RemoteMessage, Is.EqualTo "prepared failure")
        Assert.That(after, Is.EqualTo 2)
    }

let ``Remote.Function refuses what another process could not resolve, naming it`` () : Task =
    task {
        let refused (prepare: unit -> obj) =
            try
                prepare () |> ignore
                "accepted"
            with :? ArgumentException as e ->
                e.Message

        let partial = refused (fun () -> box (Remote.Function(subtract 1)))
        let body = refused (fun () -> box (Remote.Function(fun x -> inc (x + 1))))
        let instance = refused (fun () -> box (Remote.Function(fun (x: int) -> Counter().Next x)))

        Assert.That(partial, Does.Contain "Partial applications")
        Assert.That(body, Does.Contain "module function passed by name")
        Assert.That(instance, Does.Contain "instance method 'Next'")
        return ()
    }

let ``an argument that cannot be serialised fails at the call site and the actor serves on`` () : Task =
    task {
        let callBackF = Remote.Function callBack
        let incF = Remote.Function inc

        let! error, after =
            nursery {
                let! d = startActor ("prepared-unserialisable", [ thisModule ])

                let! error =
                    task {
                        try
                            let! _ = d.Run(callBackF, { Callback = id })
                            return null
                        with :? ArgumentException as e ->
                            return e
                    }

                let! after = d.Run(incF, 9)
                let! _ = d.CancelActor()
                return error, after
            }

        Assert.That(error, Is.Not.Null, "the call failed in the caller")
        Assert.That(error.Message, Does.Contain("argument 1").And.Contain("callBack"))
        Assert.That(after, Is.EqualTo 10)
    }

let ``many prepared calls in flight on one portal each get their own answer`` () : Task =
    task {
        let incF = Remote.Function inc

        let! answers =
            nursery {
                let! d = startActor ("prepared-concurrent", [ thisModule ])
                let! answers = Task.WhenAll [ for i in 1..500 -> d.Run(incF, i) ]
                let! _ = d.CancelActor()
                return answers
            }

        Assert.That(answers, Is.EqualTo<int array> [| for i in 1..500 -> i + 1 |])
    }

let ``a call that keeps its thread busy does not stop the actor from serving or hearing its cancellation`` () : Task =
    task {
        let spinF = Remote.Function spinUntilCancelled
        let isSpinningF = Remote.Function isSpinning
        let incF = Remote.Function inc

        let! outcome, served =
            nursery {
                let! d = startActor ("prepared-busy", [ thisModule ])

                return!
                    task {
                        let scope = CancelScope()
                        let spin = CancelScope.run scope (fun _ -> d.Run spinF)
                        // Each answer proves the actor reads on while the spinner holds a thread.
                        let mutable started = false

                        while not started do
                            let! s = d.Run isSpinningF
                            started <- s

                        let! served = d.Run(incF, 1)
                        scope.Cancel()
                        let! outcome = spin
                        let! stillSpinning = d.Run isSpinningF
                        Assert.That(stillSpinning, Is.False, "the spinner saw its cancellation")
                        let! _ = d.CancelActor()
                        return outcome, served
                    }
            }

        Assert.That(outcome, Is.EqualTo(ValueNone: int voption), "the cancelled call ended as cancelled")
        Assert.That(served, Is.EqualTo 2)
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "RemoteFunctionTests" [
        Register.test "a prepared function runs in the actor with each call's arguments" ``a prepared function runs in the actor with each call's arguments``
        Register.test "a prepared function's failure raises RemoteActorError and the actor serves on" ``a prepared function's failure raises RemoteActorError and the actor serves on``
        Register.test "Remote.Function refuses what another process could not resolve, naming it" ``Remote.Function refuses what another process could not resolve, naming it``
        Register.test "an argument that cannot be serialised fails at the call site and the actor serves on" ``an argument that cannot be serialised fails at the call site and the actor serves on``
        Register.test "many prepared calls in flight on one portal each get their own answer" ``many prepared calls in flight on one portal each get their own answer``
        Register.test "a call that keeps its thread busy does not stop the actor from serving or hearing its cancellation" ``a call that keeps its thread busy does not stop the actor from serving or hearing its cancellation``
    ]
