namespace TractorNet

open System

/// <summary>
/// Raised when the connection to another actor broke (the peer process died, or the socket
/// closed mid-call): a call or stream in flight can never complete. When the peer is a child
/// actor that died, the error is its <see cref="T:TractorNet.ActorDiedError"/> (a subtype), so one death is one error.
/// </summary>
type TransportClosedError =
    inherit Exception
    val private peer: string

    /// <summary>The connection to <paramref name="peer"/> closed, for <paramref name="reason"/>.</summary>
    new(peer: string, reason: string) =
        { inherit Exception($"connection to actor '{peer}' closed: {reason}")
          peer = peer }

    /// <summary>A subtype's error about <paramref name="peer"/>, with its own message.</summary>
    new(peer: string, message: string, inner: exn) =
        { inherit Exception(message, inner)
          peer = peer }

    /// <summary>The actor at the other end.</summary>
    member this.Peer: string = this.peer
