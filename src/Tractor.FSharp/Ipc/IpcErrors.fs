namespace TractorNet.Ipc

open System

/// Base of every error the IPC layer raises.
type IpcException(message: string, inner: exn) =
    inherit Exception(message, inner)
    new(message: string) = IpcException(message, null)

/// The connection broke without a clean goodbye: the peer died, reset the connection, or cut a
/// frame in half. Never a hang: a dead process's sockets are closed by the kernel.
type TransportClosedException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = TransportClosedException(message, null)

/// An operation on a channel that this side already closed (or that was closed after an error,
/// which is the inner exception).
type ChannelClosedException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = ChannelClosedException(message, null)

/// A frame larger than the configured limit (sending: the frame is refused and the channel stays
/// up; receiving: the connection is closed).
type FrameTooLargeException(size: int64, limit: int) =
    inherit IpcException($"frame of {size} bytes exceeds the limit of {limit} bytes")
    /// The frame's size in bytes.
    member _.Size = size
    /// The limit in force.
    member _.Limit = limit

/// The bytes on the wire are not a frame (a length prefix that no valid frame has).
type MalformedFrameException(message: string) =
    inherit IpcException(message)

/// A connection could not be established (nobody listens, timeout, bad address).
type ConnectException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = ConnectException(message, null)

/// The handshake failed: wrong secret, malformed hello, protocol version mismatch or timeout.
type HandshakeException(message: string, inner: exn) =
    inherit IpcException(message, inner)
    new(message: string) = HandshakeException(message, null)

/// The peer speaks another protocol version; the message names both.
type ProtocolVersionMismatchException(ours: int, theirs: int, peer: string) =
    inherit HandshakeException($"protocol version mismatch: this side speaks version {ours}, peer {peer} speaks version {theirs}")
    /// Our protocol version.
    member _.Ours = ours
    /// The peer's protocol version.
    member _.Theirs = theirs
