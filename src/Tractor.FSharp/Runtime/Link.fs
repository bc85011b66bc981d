namespace TractorNet.Runtime

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// What `IMessageLink.ReceiveNext` found: a message, or stream items unpacked in place (`Key`
/// and the items of a `Yield` or `Yields`; the bytes are valid only until the next receive, so
/// the items are decoded at once, without a copy).
[<Struct>]
type internal Incoming =
    { /// The message; null for stream items.
      Message: Message
      /// The stream's key (see `Message.Yield`).
      Key: int64
      /// The items: `Count` MessagePack bins back to back, checked (`ItemRun`).
      Items: ReadOnlyMemory<byte>
      /// How many items.
      Count: int
      /// Their credit units beyond one each (`ItemRun.extraUnits`).
      Extra: int }

/// A connection to another actor that carries protocol messages, after the handshake.
/// The IPC layer provides the real one; the runtime above depends only on this.
type internal IMessageLink =
    inherit IAsyncDisposable
    /// The actor at the other end (from the handshake).
    abstract Remote: ActorId
    /// Sends one message; concurrent senders are allowed; writes are batched below.
    abstract Send: Message -> ValueTask
    /// Sends one message like `Send`, writing it on this thread when no write is in progress:
    /// for a call's request and reply, whose round trip a thread hand-off would slow.
    abstract SendNow: Message -> ValueTask
    /// Whether received bytes are buffered, so the next `ReceiveNext` may complete without the
    /// socket (for the receive loop only).
    abstract HasBuffered: bool
    /// Sends one message for a sender that carries on after it (a reader granting credit as it
    /// reads): the write goes to any thread at once rather than waiting for this one to pause.
    abstract SendSoon: Message -> ValueTask
    /// The next message; ValueNone when the peer closed the connection cleanly. A broken
    /// connection raises.
    abstract Receive: CancellationToken -> ValueTask<Message voption>
    /// Waits for the next message (the receive loop's fast path): true when `Current` holds it,
    /// false when the peer closed the connection cleanly. A broken connection raises.
    abstract ReceiveNext: unit -> ValueTask<bool>
    /// The message the last `ReceiveNext` found, with a `Yield` frame unpacked in place; valid
    /// until the next receive.
    abstract Current: Incoming
    /// Sends one stream item as `Yield(key, item)`, encoding the item straight into the frame.
    /// `soon`: the sender carries on producing (a one-way stream's pump), so the write goes to
    /// any thread at once; otherwise it runs when this thread pauses (a context's sender, which
    /// usually waits for an answer next).
    abstract SendItem<'T> : key: int64 * codec: ItemCodec<'T> * value: 'T * soon: bool -> ValueTask
    /// Sends `count` stream items already written as bins back to back (`ItemRun`), in order,
    /// as if by `SendItem` each (they join or open one batch frame).
    abstract SendItems: key: int64 * items: ReadOnlyMemory<byte> * count: int -> ValueTask
    /// True while the link is writing earlier frames: items sent now would wait anyway.
    abstract Writing: bool
    /// The item codec of `'T` for this link's serializer.
    abstract ItemCodec<'T> : unit -> ItemCodec<'T>

/// Encodes call arguments and results as MessagePack blobs by their declared types.
type internal IPayloadCodec =
    /// Encodes one value of type `t`.
    abstract Encode: t: Type * value: obj -> byte[]
    /// Decodes one value of type `t`.
    abstract Decode: t: Type * payload: byte[] -> obj
    /// Fails early (in the caller) when values of type `t` cannot be serialised, naming why.
    abstract Check: t: Type -> unit
