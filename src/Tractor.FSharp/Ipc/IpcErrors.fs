namespace TractorNet.Ipc

open System

/// <summary>Base of every error the IPC layer raises.</summary>
type IpcException(message: string, inner: exn) =
    inherit Exception(message, inner)
    new(message: string) = IpcException(message, null)

/// <summary>
/// The connection broke without a clean goodbye: the peer died, reset the connection, or cut a
/// frame in half. Never a hang: a dead process's sockets are closed by the kernel.
/// </summary>
type TransportClosedException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = TransportClosedException(message, null)

/// <summary>
/// An operation on a channel that this side already closed (or that was closed after an error,
/// which is the inner exception).
/// </summary>
type ChannelClosedException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = ChannelClosedException(message, null)

/// <summary>
/// A frame larger than the configured limit (sending: the frame is refused and the channel stays
/// up; receiving: the connection is closed).
/// </summary>
type FrameTooLargeException(size: int64, limit: int) =
    inherit IpcException($"frame of {size} bytes exceeds the limit of {limit} bytes")
    /// <summary>The frame's size in bytes.</summary>
    member _.Size = size
    /// <summary>The limit in force.</summary>
    member _.Limit = limit

/// <summary>The bytes on the wire are not a frame (a length prefix that no valid frame has).</summary>
type MalformedFrameException(message: string) =
    inherit IpcException(message)

/// <summary>A connection could not be established (nobody listens, timeout, bad address).</summary>
type ConnectException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = ConnectException(message, null)

/// <summary>The handshake failed: wrong secret, malformed hello, protocol version mismatch or timeout.</summary>
type HandshakeException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = HandshakeException(message, null)

/// <summary>The peer speaks another protocol version; the message names both.</summary>
type ProtocolVersionMismatchException(ours: int, theirs: int, peer: string) =
    inherit HandshakeException($"protocol version mismatch: this side speaks version {ours}, peer {peer} speaks version {theirs}")
    /// <summary>Our protocol version.</summary>
    member _.Ours = ours
    /// <summary>The peer's protocol version.</summary>
    member _.Theirs = theirs
