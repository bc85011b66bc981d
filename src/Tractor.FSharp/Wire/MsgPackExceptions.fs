namespace TractorNet.Wire

open System

/// <summary>
/// Raised when bytes are not a valid MessagePack encoding of the expected value: truncated
/// data, an unexpected type, a length larger than the data, nesting deeper than the limit,
/// invalid UTF-8, an integer out of range. <c>Offset</c> is the byte offset (from the start of the
/// reader's input) of the value that failed.
/// </summary>
type MsgPackDecodeException(message: string, offset: int64) =
    inherit Exception($"{message} at offset {offset}")

    /// <summary>The byte offset, from the start of the reader's input, of the value that failed.</summary>
    member _.Offset = offset

    /// <summary>The message without the offset suffix.</summary>
    member _.Reason = message

/// <summary>
/// Raised when a value cannot be written: a null where the type forbids it, nesting deeper
/// than the writer's limit (for example a cyclic object graph).
/// </summary>
type MsgPackEncodeException(message: string) =
    inherit Exception(message)
