namespace TractorNet.Runtime

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// A connection to another actor that carries protocol messages, after the handshake.
/// The IPC layer provides the real one; the runtime above depends only on this.
type internal IMessageLink =
    inherit IAsyncDisposable
    /// The actor at the other end (from the handshake).
    abstract Remote: ActorId
    /// Sends one message; concurrent senders are allowed; writes are batched below.
    abstract Send: Message -> ValueTask
    /// The next message; ValueNone when the peer closed the connection cleanly. A broken
    /// connection raises.
    abstract Receive: CancellationToken -> ValueTask<Message voption>

/// Encodes call arguments and results as MessagePack blobs by their declared types.
type internal IPayloadCodec =
    /// Encodes one value of type `t`.
    abstract Encode: t: Type * value: obj -> byte[]
    /// Decodes one value of type `t`.
    abstract Decode: t: Type * payload: byte[] -> obj
    /// Fails early (in the caller) when values of type `t` cannot be serialised, naming why.
    abstract Check: t: Type -> unit

/// Raised when the connection to another actor broke (the peer process died, or the socket
/// closed mid-call): a call in flight can never complete.
type TransportClosedError(peer: string, reason: string) =
    inherit Exception($"connection to actor '{peer}' closed: {reason}")
    /// The actor at the other end.
    member _.Peer = peer
