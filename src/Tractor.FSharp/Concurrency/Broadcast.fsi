namespace TractorNet

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks

/// <summary>
/// A broadcast subscriber fell more than the broadcast's buffer behind: it missed <c>Missed</c>
/// items. The other subscribers carry on; this one may go on iterating (a new enumerator)
/// from the oldest item still buffered.
/// </summary>
type LaggedError =
    inherit Exception

    new: missed: int64 * capacity: int -> LaggedError

    /// <summary>The broadcast's buffer size.</summary>
    member Capacity: int

    /// <summary>How many items this subscriber missed.</summary>
    member Missed: int64

/// <summary>
/// Fans one async sequence out to many local tasks: every subscription sees every item that
/// arrives after it subscribed, in order. The source is read on demand by whichever subscriber
/// needs the next item (so the fastest subscriber sets the pace), and the last <c>capacity</c> items
/// are kept; a subscriber more than <c>capacity</c> items behind gets <see cref="T:TractorNet.LaggedError"/> instead of
/// holding the others back. The source is read outside every subscriber's cancel scope: a
/// subscriber cancelled while it waits for the next item stops waiting, the read goes on and the
/// others get its item (tractor's broadcast hands the pull over the same way). The source is
/// cancelled and disposed when the broadcast is, or when its last subscription is disposed
/// (unless it is kept open: then subscriptions may come and go).
/// </summary>
[<Sealed; AllowNullLiteral>]
type Broadcast<'T> =
    interface IAsyncDisposable

    /// <summary>
    /// A broadcast of <paramref name="source"/> keeping the last <paramref name="capacity"/> items, disposed with its last subscription.
    /// </summary>
    new: source: IAsyncEnumerable<'T> * capacity: int -> Broadcast<'T>

    internal new: source: IAsyncEnumerable<'T> * capacity: int * keepOpen: bool -> Broadcast<'T>

    /// <summary>Cancels the source and disposes it (once its pending read, if any, has ended).</summary>
    member DisposeAsync: unit -> ValueTask

    member internal Leave: unit -> Task

    /// The next item for a subscriber at `position` (its next sequence number): returns
    /// (null, more) with the item in `value` when more, or (wait, _) to wait and ask again.
    member internal Next: position: byref<int64> * value: byref<'T> -> struct (Task * bool)

    /// <summary>
    /// A new subscription: its own copy of every item from now on. Raises
    /// <c>ObjectDisposedException</c> once the broadcast is disposed or its last subscription left.
    /// </summary>
    member Subscribe: unit -> BroadcastSubscription<'T>

    /// A new subscription, or ValueNone once the broadcast is closed.
    member internal TrySubscribe: unit -> BroadcastSubscription<'T> voption

    /// <summary>How many items a subscriber may fall behind before it lags.</summary>
    member Capacity: int

    /// Whether the broadcast takes no more subscriptions (its last one left, or it was disposed).
    member internal IsClosed: bool

/// <summary>
/// One subscriber's view of a <c>Broadcast</c>: iterate it (once or several times, one enumerator
/// at a time) to receive every item that arrived since it subscribed. Dispose it to leave.
/// </summary>
and [<Sealed; Class>] BroadcastSubscription<'T> =
    interface IAsyncDisposable
    interface IAsyncEnumerable<'T>

    internal new: broadcast: Broadcast<'T> * start: int64 -> BroadcastSubscription<'T>

    member internal Advance: value: byref<'T> -> struct (Task * bool)

    /// <summary>Leaves the broadcast (the last one out disposes the source).</summary>
    member DisposeAsync: unit -> ValueTask

    /// <summary>
    /// Iterates the items that arrive from now on. <paramref name="ct"/> and the ambient cancel scope cancel
    /// this iteration only (with <c>OperationCanceledException</c>): the other subscribers go on.
    /// </summary>
    member GetAsyncEnumerator: ct: CancellationToken -> IAsyncEnumerator<'T>

and [<Sealed; Class>] internal SubscriptionEnumerator<'T> =
    interface IAsyncEnumerator<'T>

    new: subscription: BroadcastSubscription<'T> * ct: CancellationToken -> SubscriptionEnumerator<'T>

/// The current broadcast of a source that can be subscribed to in rounds: a subscription after
/// every earlier one has left starts a new broadcast over the same source (for a one-way
/// stream, a new run of the remote function).
[<Sealed>]
type internal BroadcastSlot<'T> =

    new: source: IAsyncEnumerable<'T> -> BroadcastSlot<'T>

    /// A subscription to the current broadcast, or to a new one (of `bufferSize`) if there is
    /// none or it closed.
    member Subscribe: bufferSize: int -> BroadcastSubscription<'T>
