/// The functions a discoverable test service serves: in an assembly both test programs load
/// (the test suite and Tractor.TestApp), so one can call what the other's actor runs.
module TractorNet.Testing.DiscoveryService

open System
open System.Collections.Generic
open System.Threading.Tasks
open TractorNet

/// This module's .NET name, to enable it in the service actor.
let moduleName = "TractorNet.Testing.DiscoveryService"

/// Completes once this actor has greeted someone (the trynamic scene's rendezvous).
let private greetedSomeone = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

/// A greeting naming the actor and process that made it.
let greet (who: string) : Task<string> =
    task {
        greetedSomeone.TrySetResult() |> ignore
        return $"hello {who} from {Actor.name ()} pid {Environment.ProcessId}"
    }

/// Fails with a recognisable error.
let boom () : Task<int> =
    task { return invalidOp "boom in the service" }

/// 0 .. count-1 as a one-way stream.
let count (n: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. n - 1 do
            yield i
    }

/// A context: `Started(start)`, then doubles every number it receives; returns how many.
let doubler (ctx: Context<int>) (start: int) : Task<int> =
    task {
        do! ctx.Started start
        use stream = ctx.OpenStream<int, int>()
        let mutable n = 0

        for x in stream do
            do! stream.Send(2 * x)
            n <- n + 1

        return n
    }

/// Hangs until cancelled.
let hang () : Task<int> =
    task {
        do! Task.Delay(-1, CancelScope.CurrentToken)
        return 0
    }

/// Finds `other` by name (waiting for it) and asks it to greet us, then stays until it has
/// been greeted by us too (ending earlier would break the other's call): the trynamic scene.
let greetPeer (other: string) : Task<string> =
    task {
        let! _ = publishActor ()
        let! peer = waitForActor other
        let! greeting = peer.Run(fun () -> greet (Actor.name ()))
        do! greetedSomeone.Task.WaitAsync CancelScope.CurrentToken
        return greeting
    }

/// Completes with true once `awaitCancel` has been cancelled by its caller.
let private cancelled = TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously)

/// A context that starts, then waits until its caller cancels it and records that it was.
let awaitCancel (ctx: Context<int>) : Task<int> =
    task {
        do! ctx.Started 0

        try
            do! Task.Delay(-1, ctx.Token)
        finally
            if ctx.Token.IsCancellationRequested then
                cancelled.TrySetResult true |> ignore

        return 0
    }

/// Whether an `awaitCancel` context of this actor was cancelled (waits for it, within the
/// caller's scope).
let cancelSeen () : Task<bool> =
    cancelled.Task.WaitAsync CancelScope.CurrentToken
