/// Context and stream functions the streaming tests run in child processes, with a per-process
/// event log the tests read back (`events ()`) to see what happened on the callee's side.
module TractorNet.Tests.StreamingFunctions

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open TractorNet

/// This module's .NET name, to enable it in daemons.
let moduleName = "TractorNet.Tests.StreamingFunctions"

let private log = ConcurrentQueue<string>()
let private note (event: string) = log.Enqueue event
let mutable private sent = 0

/// Everything noted in this actor so far.
let events () = task { return List.ofSeq log }

/// Waits (bounded, 30 s) until `event` was noted in this actor; true if it was.
let awaitEvent (event: string) =
    task {
        let deadline = DateTime.UtcNow.AddSeconds 30.0
        while not (Seq.contains event log) && DateTime.UtcNow < deadline do
            do! Task.Delay 10
        return Seq.contains event log
    }

/// How many items the last sender sent so far.
let sentCount () = task { return Volatile.Read &sent }

/// Runs `body`, noting "<name>:cancelled" if it ends by cancellation and "<name>:done" if it
/// returns, so a test can see how the callee's side ended.
let private traced (name: string) (body: unit -> Task<'T>) : Task<'T> =
    task {
        try
            let! v = body ()
            note $"{name}:done"
            return v
        with
        | :? OperationCanceledException ->
            note $"{name}:cancelled"
            return raise (OperationCanceledException())
    }

/// The seed's ping-pong server: `Started(data + 1)`, then a pong for every ping; returns the count.
let simpleRpc (ctx: Context<int>) (data: int) : Task<int> =
    task {
        do! ctx.Started(data + 1)
        use stream = ctx.OpenStream<string, string>()
        let mutable count = 0

        for msg in stream do
            if msg <> "ping" then
                failwith $"expected ping, got {msg}"

            do! stream.Send "pong"
            count <- count + 1

        return count
    }

/// Echoes every item back, prefixed with `tag`; returns how many it echoed.
let echo (ctx: Context<string>) (tag: string) : Task<int> =
    task {
        do! ctx.Started tag
        use stream = ctx.OpenStream<string, string>()
        let mutable count = 0

        for msg in stream do
            do! stream.Send $"{tag}{msg}"
            count <- count + 1

        return count
    }

/// Calls Started twice (the second call raises).
let startTwice (ctx: Context<int>) : Task<int> =
    task {
        do! ctx.Started 1
        do! ctx.Started 2
        return 0
    }

/// Returns without calling Started.
let neverStarts (ctx: Context<int>) : Task<int> = task { return 42 }

/// Raises before Started.
let failBeforeStarted (ctx: Context<int>) : Task<int> = task { return invalidOp "no start today" }

/// Waits for cancellation before Started (traced as "beforeStarted").
let hangBeforeStarted (ctx: Context<int>) : Task<int> =
    traced "beforeStarted" (fun () ->
        task {
            note "beforeStarted:waiting"
            do! Task.Delay(Timeout.Infinite, ctx.Token)
            return 0
        })

/// Starts, then returns `value` at once (no stream).
let startAndReturn (ctx: Context<int>) (value: int) : Task<int> =
    task {
        do! ctx.Started value
        return value * 2
    }

/// Starts, then waits for cancellation (traced as "afterStarted").
let startThenHang (ctx: Context<int>) : Task<int> =
    traced "afterStarted" (fun () ->
        task {
            do! ctx.Started 7
            do! Task.Delay(Timeout.Infinite, ctx.Token)
            return 0
        })

/// Sends `count` items 0..count-1 on its stream, then returns "sent" (traced as "producer"),
/// waiting for cancellation after the items when `thenHang`.
let produce (ctx: Context<int>) (count: int) (thenHang: bool) : Task<string> =
    traced "producer" (fun () ->
        task {
            do! ctx.Started count
            use stream = ctx.OpenStream<int, int>()

            for i in 0 .. count - 1 do
                do! stream.Send i
                Volatile.Write(&sent, i + 1)

            if thenHang then
                do! Task.Delay(Timeout.Infinite, ctx.Token)

            return "sent"
        })

/// Sends 0..count-1 as int64, then 2^40 (which does not fit an int), then waits to be cancelled:
/// a caller reading ints gets `count` items, then cannot read the next.
let produceLongs (ctx: Context<int>) (count: int) : Task<string> =
    task {
        do! ctx.Started count
        use stream = ctx.OpenStream<int64, int64>()

        for i in 0 .. count - 1 do
            do! stream.Send(int64 i)

        do! stream.Send(1L <<< 40)
        do! Task.Delay(Timeout.Infinite, ctx.Token)
        return "never"
    }

/// Sends `count` items, then raises mid-stream.
let produceThenFail (ctx: Context<int>) (count: int) : Task<string> =
    task {
        do! ctx.Started count
        use stream = ctx.OpenStream<int, int>()

        for i in 0 .. count - 1 do
            do! stream.Send i

        return invalidOp $"failed after {count} items"
    }

/// Sends `count` items, stops its side of the stream, then sums what the caller sends until
/// the caller stops; returns the sum.
let stopThenSum (ctx: Context<int>) (count: int) : Task<int> =
    task {
        do! ctx.Started count
        use stream = ctx.OpenStream<int, int>()

        for i in 0 .. count - 1 do
            do! stream.Send i

        do! stream.Stop()
        let mutable sum = 0

        for x in stream do
            sum <- sum + x

        note "stopThenSum:done"
        return sum
    }

/// Cancels its own context after Started.
let cancelSelf (ctx: Context<int>) : Task<int> =
    task {
        do! ctx.Started 1
        ctx.Cancel()
        do! Task.Delay(Timeout.Infinite, ctx.Token)
        return 0
    }

/// Sends `count` items as fast as it can (for overrun tests); returns how many it sent.
let flood (ctx: Context<int>) (count: int) : Task<int> =
    task {
        do! ctx.Started count
        use stream = ctx.OpenStream<int, int>()

        for i in 0 .. count - 1 do
            do! stream.Send i

        return count
    }

/// A one-way stream of 0..count-1.
let numbers (count: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. count - 1 do
            yield i
            Volatile.Write(&sent, i + 1)
    }

/// An endless one-way stream that notes "generator:cancelled" when it is cancelled and
/// "generator:disposed" when it is disposed.
let endless () : IAsyncEnumerable<int64> =
    taskSeq {
        let mutable i = 0L

        try
            try
                while true do
                    yield i
                    i <- i + 1L
                    do! Task.Yield()
                    CancelScope.checkpoint ()
            with :? OperationCanceledException ->
                note "generator:cancelled"
                raise (OperationCanceledException())
        finally
            note "generator:disposed"
    }

/// A one-way stream that yields `count` items and raises.
let numbersThenFail (count: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. count - 1 do
            yield i

        invalidOp "generator failed"
    }

/// A one-way stream that yields 0..count-1 without ever waiting, then stays silent until it is
/// cancelled: items held back while the connection wrote must leave once it waits.
let burstThenSilent (count: int) : IAsyncEnumerable<int> =
    taskSeq {
        let! token = TaskSeq.cancellationToken

        for i in 0 .. count - 1 do
            yield i

        do! Task.Delay(Timeout.Infinite, token)
    }

/// A one-way stream of 0..count-1 that waits (`Task.Yield`) after every `every` items: runs of
/// items ready at once, broken where the generator waits.
let pausing (count: int) (every: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. count - 1 do
            yield i
            Volatile.Write(&sent, i + 1)

            if (i + 1) % every = 0 then
                do! Task.Yield()
    }

/// An endless one-way stream of 0, 1, 2... that never waits, noting "fast:disposed" when it
/// is disposed.
let fastEndless () : IAsyncEnumerable<int> =
    taskSeq {
        try
            let mutable i = 0

            while true do
                yield i
                i <- i + 1
        finally
            note "fast:disposed"
    }

/// The content of blob `index` of `size` bytes (each blob differs from its neighbours).
let blobOf (index: int) (size: int) : byte[] =
    Array.init size (fun j -> byte ((index * 31 + j) % 251))

/// A one-way stream of `blobOf i size` for each size in order, counting them in `sentCount`.
let blobs (sizes: int list) : IAsyncEnumerable<byte[]> =
    taskSeq {
        let mutable i = 0

        for size in sizes do
            yield blobOf i size
            i <- i + 1
            Volatile.Write(&sent, i)
    }

/// A one-way stream that yields one item, then stays silent until it is cancelled (noting
/// "silent:cancelled").
let oneThenSilent () : IAsyncEnumerable<int> =
    taskSeq {
        let! token = TaskSeq.cancellationToken
        yield 1

        try
            do! Task.Delay(Timeout.Infinite, token)
        with :? OperationCanceledException ->
            note "silent:cancelled"
            raise (OperationCanceledException())
    }

/// Sends 0..count-1 on its stream, then waits for its context's end (noting
/// "sender:cancelled"), then tries one more send and notes what it raised ("sender:<type>").
let sendThenWait (ctx: Context<int>) (count: int) : Task<int> =
    task {
        do! ctx.Started count
        use stream = ctx.OpenStream<int, int>()

        for i in 0 .. count - 1 do
            do! stream.Send i

        try
            do! Task.Delay(Timeout.Infinite, ctx.Token)
        with :? OperationCanceledException ->
            note "sender:cancelled"

        try
            do! stream.Send count
            note "sender:sent again"
        with e ->
            note $"sender:{e.GetType().Name}"

        return count
    }

let private released = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

/// Lets `openWhenReleased` open its stream (a call on the same connection: every item the caller
/// sent before it has reached the context's endpoint already).
let release () = task { return released.TrySetResult() }

/// Starts, then waits for `release` (or its context's end, noting "late:cancelled") before it
/// opens its stream; then sums the caller's items until the caller stops.
let openWhenReleased (ctx: Context<int>) : Task<int> =
    traced "late" (fun () ->
        task {
            do! ctx.Started 0
            do! released.Task.WaitAsync ctx.Token
            use stream = ctx.OpenStream<int, int>()
            let mutable sum = 0

            for x in stream do
                sum <- sum + x

            return sum
        })

let private gate = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

/// Lets `gated` go on past its first items.
let openGate () =
    task {
        gate.TrySetResult() |> ignore
        return true
    }

/// 0..count-1, stopping after the first `before` items until `openGate` is called (bounded:
/// 30 s), noting "gated:cancelled" if it is cancelled meanwhile.
let gated (before: int) (count: int) : IAsyncEnumerable<int> =
    taskSeq {
        let! token = TaskSeq.cancellationToken

        for i in 0 .. count - 1 do
            if i = before then
                try
                    do! gate.Task.WaitAsync(TimeSpan.FromSeconds 30.0, token)
                with :? OperationCanceledException ->
                    note "gated:cancelled"
                    raise (OperationCanceledException())

            yield i
    }
