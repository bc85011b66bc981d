/// Broadcast fan-out of a local source: cancelling subscribers, the source's end and failure,
/// disposal. (Fan-out of remote streams: StreamingOneWayTests.)
module TractorNet.Tests.BroadcastTests

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

let private bound = TimeSpan.FromSeconds 30.0

/// Reads a channel the way library code does: every read honours the ambient cancel scope.
let private scoped (reader: ChannelReader<int>) : IAsyncEnumerable<int> =
    taskSeq {
        let mutable go = true

        while go do
            let! more = reader.WaitToReadAsync CancelScope.CurrentToken

            if more then
                match reader.TryRead() with
                | true, x -> yield x
                | _ -> ()
            else
                go <- false
    }

/// The items of `source` until it ended, and the error that ended it (null if none).
let private readAll (source: IAsyncEnumerable<'T>) : Task<'T list * exn> =
    task {
        let items = ResizeArray()
        let! error = catchAsync (fun () -> task { for x in source do items.Add x })
        return List.ofSeq items, error
    }

let ``cancelling the scope of the subscriber reading the source leaves the others every item`` () : Task =
    task {
        let channel = Channel.CreateUnbounded<int>()

        for i in 1..3 do
            channel.Writer.TryWrite i |> ignore

        let b = new Broadcast<int>(scoped channel.Reader, 16)
        let fast = b.Subscribe()
        let slow = b.Subscribe()

        let release () =
            for i in 4..10 do
                channel.Writer.TryWrite i |> ignore

            channel.Writer.Complete()
            Task.CompletedTask

        let! seen = cancelThePuller fast slow 3 release
        do! fast.DisposeAsync()
        do! slow.DisposeAsync()

        Assert.That(seen.FastItems, eq [ 1; 2; 3 ])
        Assert.That(seen.FastError, Is.InstanceOf<OperationCanceledException>())
        Assert.That(seen.FastAbsorbed, Is.True, "the fast subscriber's scope absorbed its own cancellation")
        Assert.That(seen.SlowItems, eq [ 1..10 ])
    }

let ``a subscriber cancelled while it reads the source can iterate again and gets the item it was waiting for`` () : Task =
    task {
        let channel = Channel.CreateUnbounded<int>()
        let b = new Broadcast<int>(scoped channel.Reader, 16)
        let sub = b.Subscribe()
        let scope = CancelScope()
        let cut = ref Unchecked.defaultof<IAsyncEnumerator<int>>

        let! outcome =
            CancelScope.run scope (fun _ ->
                task {
                    cut.Value <- sub.GetAsyncEnumerator CancellationToken.None
                    let waiting = cut.Value.MoveNextAsync() // nothing written yet: this read waits on the source
                    scope.Cancel()
                    let! more = waiting
                    return more
                })

        do! cut.Value.DisposeAsync()

        channel.Writer.TryWrite 1 |> ignore
        channel.Writer.Complete()
        let! again = (readAll sub).WaitAsync bound
        do! sub.DisposeAsync()

        Assert.That(outcome.IsNone, Is.True, "the wait was cut by the subscriber's own scope")
        Assert.That(again, eq ([ 1 ], (null: exn)))
    }

let ``cancelling every subscriber and leaving ends the read of the source and disposes it`` () : Task =
    task {
        let cancelled = ref false
        let disposed = ref false

        let source =
            taskSeq {
                let! token = TaskSeq.cancellationToken

                try
                    yield 1

                    try
                        do! Task.Delay(Timeout.Infinite, token)
                    with :? OperationCanceledException ->
                        cancelled.Value <- true
                        raise (OperationCanceledException())
                finally
                    disposed.Value <- true
            }

        let b = new Broadcast<int>(source, 4)
        let subs = [ b.Subscribe(); b.Subscribe() ]
        let scopes = [ CancelScope(); CancelScope() ]
        let waiting = [ for _ in subs -> TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) ]

        let runs =
            List.zip3 subs scopes waiting
            |> List.map (fun (sub, scope, w) ->
                CancelScope.run scope (fun _ ->
                    task {
                        let e = sub.GetAsyncEnumerator CancellationToken.None
                        let! _ = e.MoveNextAsync()
                        let next = e.MoveNextAsync() // the source says nothing more
                        w.TrySetResult() |> ignore
                        let! more = next
                        return more
                    }))

        for w in waiting do
            do! w.Task.WaitAsync bound

        for scope in scopes do
            scope.Cancel()

        let! outcomes = (Task.WhenAll runs).WaitAsync bound
        Assert.That(outcomes |> Array.forall (fun o -> o.IsNone), Is.True, "each scope absorbed its own cancellation")
        Assert.That(cancelled.Value, Is.False, "no subscriber's cancellation reached the source")

        for sub in subs do
            do! sub.DisposeAsync().AsTask().WaitAsync bound

        // The last one out waited for the read to end and the source to be disposed.
        Assert.That(cancelled.Value, Is.True, "leaving cancelled the read")
        Assert.That(disposed.Value, Is.True, "leaving disposed the source")
        Assert.That(b.IsClosed, Is.True)
    }

let ``the source's error reaches every subscriber after its items`` () : Task =
    task {
        let source =
            taskSeq {
                for i in 1..3 do
                    yield i

                invalidOp "source failed"
            }

        let b = new Broadcast<int>(source, 8)
        let first = b.Subscribe()
        let second = b.Subscribe()
        let! itemsA, errorA = (readAll first).WaitAsync bound
        let! itemsB, errorB = (readAll second).WaitAsync bound
        do! first.DisposeAsync()
        do! second.DisposeAsync()

        Assert.That(itemsA, eq [ 1; 2; 3 ])
        Assert.That(itemsB, eq [ 1; 2; 3 ])
        Assert.That(errorA, Is.InstanceOf<InvalidOperationException>().And.Message.EqualTo "source failed")
        Assert.That(errorB, Is.SameAs errorA)
    }

let ``a subscription's iteration is cut by its own cancel scope, the source is not`` () : Task =
    task {
        let source =
            taskSeq {
                for i in 0..99_999 do
                    yield i
            }

        let b = new Broadcast<int>(source, 16)
        let other = b.Subscribe()

        do!
            assertCutByOwnScope (fun loop ->
                task {
                    let sub = b.Subscribe()
                    let! error = catchAsync (fun () -> task { do! loop sub })
                    do! sub.DisposeAsync()
                    if not (isNull error) then raise error
                })

        // The source lives on for the other subscription.
        let! items, error = (readAll other).WaitAsync bound
        do! other.DisposeAsync()
        Assert.That(error, Is.Null)
        Assert.That(items, eq [ 0..99_999 ])
    }

let ``disposing a broadcast while a read waits on the source ends the read and every waiting subscriber`` () : Task =
    task {
        let channel = Channel.CreateUnbounded<int>()
        // Honours only the broadcast's own token (the enumerator's).
        let b = new Broadcast<int>(channel.Reader.ReadAllAsync(), 4)
        let sub = b.Subscribe()
        let e = sub.GetAsyncEnumerator CancellationToken.None
        let waiting = e.MoveNextAsync().AsTask()
        do! b.DisposeAsync().AsTask().WaitAsync bound
        let! error = catchAsync (fun () -> waiting.WaitAsync bound)
        Assert.That(error, Is.InstanceOf<OperationCanceledException>().Or.InstanceOf<ObjectDisposedException>())
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "BroadcastTests" [
        Register.test "cancelling the scope of the subscriber reading the source leaves the others every item" ``cancelling the scope of the subscriber reading the source leaves the others every item``
        Register.test "a subscriber cancelled while it reads the source can iterate again and gets the item it was waiting for" ``a subscriber cancelled while it reads the source can iterate again and gets the item it was waiting for``
        Register.test "cancelling every subscriber and leaving ends the read of the source and disposes it" ``cancelling every subscriber and leaving ends the read of the source and disposes it``
        Register.test "the source's error reaches every subscriber after its items" ``the source's error reaches every subscriber after its items``
        Register.test "a subscription's iteration is cut by its own cancel scope, the source is not" ``a subscription's iteration is cut by its own cancel scope, the source is not``
        Register.test "disposing a broadcast while a read waits on the source ends the read and every waiting subscriber" ``disposing a broadcast while a read waits on the source ends the read and every waiting subscriber``
    ]
