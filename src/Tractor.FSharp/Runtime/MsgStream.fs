namespace TractorNet

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

/// <summary>
/// One side of a context's bidirectional stream: <c>Send</c> items of <c>'Send</c> to the other side and
/// iterate (<c>for msg in stream</c>, <c>await foreach</c>) the <c>'Recv</c> items it sends. Ordered and
/// lossless while open; the flow policy is the context's (<see cref="T:TractorNet.StreamOptions"/>). <c>Stop()</c> ends this
/// side's items (the peer's iteration ends cleanly); disposing the stream also stops reading
/// (items the peer still sends are dropped). One enumerator at a time; for several local
/// readers use <c>Subscribe()</c>.
/// </summary>
[<Sealed>]
type MsgStream<'Send, 'Recv> internal (ep: ContextEndpoint, inbox: Inbox<'Recv>, sendCodec: ItemCodec<'Send>) =
    let gate = obj ()
    // Kept open: subscriptions may come and go while the stream lasts.
    let mutable broadcast: Broadcast<'Recv> = null
    let mutable disposed = 0

    let raw =
        { new IAsyncEnumerable<'Recv> with
            member _.GetAsyncEnumerator(ct) = MsgStreamEnumerator<'Recv>(InboxReader(inbox, ct)) }

    /// <summary>The actor at the other end.</summary>
    member _.Peer: ActorId = ep.Remote

    /// <summary>
    /// Sends one item. Under backpressure it waits while the receiver's buffer is full. Raises
    /// the context's error once it failed (a <see cref="T:TractorNet.RemoteActorError"/>, <see cref="T:TractorNet.StreamOverrunError"/>,
    /// <see cref="T:TractorNet.TransportClosedError"/>, the <see cref="T:TractorNet.ContextCancelledError"/> of a cancellation...); an item for a
    /// receiver that has closed its end, or for a function that returned, is dropped.
    /// </summary>
    member _.Send(value: 'Send) : ValueTask = ep.SendItem(sendCodec, value)

    /// <summary>
    /// Ends this side's items: the peer's iteration ends after the items already sent.
    /// Receiving goes on. Idempotent.
    /// </summary>
    member _.Stop() : Task = ep.StopSending()

    /// <summary>
    /// A local fan-out of the received items, keeping the last 256: see <c>Subscribe(bufferSize)</c>.
    /// </summary>
    member this.Subscribe() : BroadcastSubscription<'Recv> = this.Subscribe 256

    /// <summary>
    /// A local fan-out of the received items: each subscription (one per local task) gets its
    /// own copy of every item from now on. A subscriber more than <paramref name="bufferSize"/> items behind the
    /// fastest gets <see cref="T:TractorNet.LaggedError"/>; the others carry on. (The first call sets the buffer size.
    /// Subscriptions may come and go: items no subscription asked for stay in the stream for
    /// later ones.) Once subscribed, iterate the subscriptions, not the stream.
    /// </summary>
    member _.Subscribe(bufferSize: int) : BroadcastSubscription<'Recv> =
        let b =
            lock gate (fun () ->
                if isNull broadcast then
                    broadcast <- new Broadcast<'Recv>(raw, bufferSize, true)

                broadcast)

        b.Subscribe()

    /// <summary>Iterates the received items (ends when the peer stops, raises if the context failed).</summary>
    member _.GetAsyncEnumerator(ct: CancellationToken) : IAsyncEnumerator<'Recv> =
        if not (isNull broadcast) then
            invalidOp "this stream is broadcast (Subscribe was called): iterate a subscription instead"

        raw.GetAsyncEnumerator ct

    /// <summary>
    /// Stops sending and receiving (see <c>Stop</c>). Does not end the context: its function may go
    /// on and return. In the callee, the peer's iteration ends when the function ends (cleanly
    /// if it returns, with its error if it raises) unless <c>Stop()</c> was called before.
    /// </summary>
    member _.DisposeAsync() : ValueTask =
        if Interlocked.Exchange(&disposed, 1) = 0 then
            ep.CloseInbound()

            if ep.IsCallee then
                ep.StopLater()
                ValueTask.CompletedTask
            else
                ValueTask(ep.StopSending())
        else
            ValueTask.CompletedTask

    interface IAsyncEnumerable<'Recv> with
        member this.GetAsyncEnumerator(ct) = this.GetAsyncEnumerator ct

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()

/// Iterates a stream's inbox; disposing it leaves the stream open (iterate again later).
and [<Sealed>] internal MsgStreamEnumerator<'T>(reader: InboxReader<'T>) =
    interface IAsyncEnumerator<'T> with
        member _.Current = reader.Current
        member _.MoveNextAsync() = reader.MoveNextAsync()
        member _.DisposeAsync() = ValueTask.CompletedTask

/// Opening a context's stream on either side.
module internal MsgStreams =
    let openOn<'Send, 'Recv> (ep: ContextEndpoint) : MsgStream<'Send, 'Recv> =
        // Both item types are checked before anything is opened.
        let sendCodec = ep.ItemCodec<'Send>()
        ep.ItemCodec<'Recv>() |> ignore
        let inbox = ep.OpenInbox<'Recv>(true)
        ep.MarkOutboundOpen()
        MsgStream<'Send, 'Recv>(ep, inbox, sendCodec)
