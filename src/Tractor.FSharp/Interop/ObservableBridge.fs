namespace TractorNet

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks

/// Reads an observable as an async stream: subscribes on the first MoveNextAsync, buffers at most `capacity` items
/// (an observable cannot be slowed down: one more fails the stream), unsubscribes on dispose.
[<Sealed>]
type internal ObservableReader<'T>(source: IObservable<'T>, capacity: int, ct: CancellationToken) =
    let queue =
        Channel.CreateBounded<'T>(BoundedChannelOptions(capacity, SingleReader = true, SingleWriter = false))

    // Set by the first MoveNextAsync, read by DisposeAsync: the reader's own flow.
    let mutable subscription: IDisposable = null
    let mutable current = Unchecked.defaultof<'T>

    member private this.MoveNextSlow() : Task<bool> =
        task {
            let! more = queue.Reader.WaitToReadAsync ct

            if more then
                return! this.MoveNextAsync()
            else
                return false
        }

    member this.MoveNextAsync() : ValueTask<bool> =
        if isNull subscription then
            subscription <- source.Subscribe this

        match queue.Reader.TryRead() with
        | true, v ->
            current <- v
            ValueTask<bool> true
        | _ -> ValueTask<bool>(this.MoveNextSlow())

    interface IObserver<'T> with
        member _.OnNext v =
            if not (queue.Writer.TryWrite v) then
                queue.Writer.TryComplete(
                    ForeignOverrunError $"The observable pushed more than {capacity} items ahead of its reader (ForeignOptions.Capacity)."
                )
                |> ignore

        member _.OnError e = queue.Writer.TryComplete e |> ignore
        member _.OnCompleted() = queue.Writer.TryComplete() |> ignore

    interface IAsyncEnumerator<'T> with
        member _.Current = current
        member this.MoveNextAsync() = this.MoveNextAsync()

        member _.DisposeAsync() =
            match subscription with
            | null -> ()
            | s -> s.Dispose()

            ValueTask.CompletedTask

/// The bridges between IObservable and IAsyncEnumerable (Foreign.ofObservable, Foreign.toObservable).
module internal ObservableBridge =

    /// An observable as an async stream; each enumeration subscribes once.
    let toAsyncEnumerable (capacity: int) (source: IObservable<'T>) : IAsyncEnumerable<'T> =
        if capacity < 1 then
            raise (ArgumentOutOfRangeException("capacity", capacity, "The capacity must be at least 1."))

        { new IAsyncEnumerable<'T> with
            member _.GetAsyncEnumerator ct = new ObservableReader<'T>(source, capacity, ct) }

    /// An async stream as an observable: each subscription enumerates the stream on the thread pool, pushing every
    /// item, then OnCompleted or OnError; disposing the subscription cancels the enumeration.
    let toObservable (source: IAsyncEnumerable<'T>) : IObservable<'T> =
        { new IObservable<'T> with
            member _.Subscribe(observer: IObserver<'T>) =
                let cts = new CancellationTokenSource()

                let pump () : Task =
                    task {
                        let e = source.GetAsyncEnumerator cts.Token
                        let mutable failure: exn = null

                        try
                            let mutable go = true

                            while go do
                                let! more = e.MoveNextAsync()

                                if more then observer.OnNext e.Current else go <- false
                        with ex ->
                            failure <- ex

                        try
                            do! e.DisposeAsync()
                        with ex when isNull failure ->
                            failure <- ex

                        match failure with
                        | null -> observer.OnCompleted()
                        | :? OperationCanceledException when cts.IsCancellationRequested -> ()
                        | ex -> observer.OnError ex
                    }

                Task.Run(Func<Task> pump) |> ignore
                { new IDisposable with member _.Dispose() = cts.Cancel() } }
