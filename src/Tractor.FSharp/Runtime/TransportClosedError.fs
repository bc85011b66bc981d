namespace TractorNet

open System

/// Raised when the connection to another actor broke (the peer process died, or the socket
/// closed mid-call): a call or stream in flight can never complete. When the peer is a child
/// actor that died, the error is its `ActorDiedError` (a subtype), so one death is one error.
type TransportClosedError =
    inherit Exception
    val private peer: string

    /// The connection to `peer` closed, for `reason`.
    new(peer: string, reason: string) =
        { inherit Exception($"connection to actor '{peer}' closed: {reason}")
          peer = peer }

    /// A subtype's error about `peer`, with its own message.
    new(peer: string, message: string, inner: exn) =
        { inherit Exception(message, inner)
          peer = peer }

    /// The actor at the other end.
    member this.Peer: string = this.peer
