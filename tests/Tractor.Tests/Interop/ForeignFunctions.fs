/// Functions the foreign-async tests run in child actors: foreign (unstructured) Task code bridged with
/// openChannelFrom and runTask, as tractor's infected-asyncio suite runs asyncio tasks in infected actors.
module TractorNet.Tests.ForeignFunctions

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// This module's .NET name, to enable it in daemons.
let moduleName = "TractorNet.Tests.ForeignFunctions"

/// Foreign code: sends its first message, then fails (tractor's sleep_and_err).
let startThenFail (chan: ForeignEnd<string, int, int>) (_: CancellationToken) : Task<unit> =
    task {
        chan.Started "start"
        do! Task.Yield()
        return invalidOp "foreign boom"
    }

/// Foreign code: sends its first message, fails once the body has sent it one (so the body is surely running).
let failOnFirstMessage (chan: ForeignEnd<string, int, int>) (_: CancellationToken) : Task<unit> =
    task {
        chan.Started "start"
        let! _ = chan.ReceiveAsync()
        return invalidOp "foreign boom"
    }

/// Foreign code that sends its first message, then waits for its token; counts how many such tasks saw it cancelled.
let mutable private stoppedCount = 0

let startThenWait (chan: ForeignEnd<string, int, int>) (ct: CancellationToken) : Task<unit> =
    task {
        chan.Started "up"

        try
            do! Task.Delay(Timeout.Infinite, ct)
        with :? OperationCanceledException ->
            Interlocked.Increment &stoppedCount |> ignore
            raise (OperationCanceledException ct)
    }

/// How many foreign tasks of this actor saw their token cancelled.
let stoppedForeignTasks () = task { return Volatile.Read &stoppedCount }

/// An actor's function whose foreign task fails while the structured side waits for messages.
let foreignFailsInActor () : Task<int> =
    openChannelFrom startThenFail (fun first chan -> task {
        let! v = chan.ReceiveAsync()
        return v })

/// A context whose structured side hands on the foreign task's first message, then waits until cancelled.
let foreignInContext (ctx: Context<string>) : Task<int> =
    openChannelFrom startThenWait (fun first _ -> task {
        do! ctx.Started first
        do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
        return 0 })

/// runTask of a foreign function that never ends until its token is cancelled.
let runTaskForever () : Task<int> =
    runTask (fun ct -> task {
        do! Task.Delay(Timeout.Infinite, ct)
        return 0 })
