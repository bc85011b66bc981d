namespace TractorNet.Wire

open System

/// <summary>
/// The base of the Wire layer's exceptions: catch it for any failure to encode or decode
/// MessagePack, or to build a codec.
/// </summary>
type MsgPackException(message: string, inner: exn) =
    inherit Exception(message, inner)

    /// <summary>An exception with <paramref name="message"/> and no inner exception.</summary>
    new(message: string) = MsgPackException(message, null)

/// <summary>
/// Raised when bytes are not a valid MessagePack encoding of the expected value: truncated
/// data, an unexpected type, a length larger than the data, nesting deeper than the limit,
/// invalid UTF-8, an integer out of range. <c>Offset</c> is the byte offset (from the start of the
/// reader's input) of the value that failed.
/// </summary>
type MsgPackDecodeException(message: string, offset: int64) =
    inherit MsgPackException($"{message} at offset {offset}")

    /// <summary>The byte offset, from the start of the reader's input, of the value that failed.</summary>
    member _.Offset = offset

    /// <summary>The message without the offset suffix.</summary>
    member _.Reason = message

/// <summary>
/// Raised when a value cannot be written: a null where the type forbids it, nesting deeper
/// than the writer's limit (for example a cyclic object graph).
/// </summary>
type MsgPackEncodeException(message: string) =
    inherit MsgPackException(message)
