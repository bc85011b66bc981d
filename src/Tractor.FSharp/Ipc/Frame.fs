namespace TractorNet.Ipc

open System
open System.Buffers.Binary

/// <summary>What a frame's 4-byte prefix says.</summary>
[<Struct>]
type FrameHeader =
    /// <summary>A data frame whose payload has this many bytes.</summary>
    | Payload of length: int
    /// <summary>The sender closed its side cleanly: no frame follows (prefix 0xFFFFFFFF).</summary>
    | Goodbye
    /// <summary>No valid frame starts with this prefix (another value with the top bit set).</summary>
    | Malformed of prefix: uint32

/// <summary>
/// The framing: a 4-byte big-endian length, then that many payload bytes. Lengths have the top
/// bit clear; 0xFFFFFFFF is the goodbye marker (clean end of stream); other prefixes with the top
/// bit set are malformed. See docs/protocol.md.
/// </summary>
module Frame =
    /// <summary>Bytes in a frame's length prefix.</summary>
    [<Literal>]
    let HeaderSize = 4

    /// <summary>The default limit on a frame's payload: 16 MiB.</summary>
    [<Literal>]
    let DefaultMaxSize = 16777216

    /// <summary>The largest limit that can be configured: 1 GiB.</summary>
    [<Literal>]
    let MaxConfigurableSize = 1073741824

    /// <summary>The prefix that ends a stream cleanly.</summary>
    [<Literal>]
    let GoodbyeMarker = 0xFFFFFFFFu

    /// <summary>Writes a payload length prefix into the first 4 bytes of <paramref name="destination"/>.</summary>
    [<CompiledName "WriteHeader">]
    let writeHeader (destination: Span<byte>) (length: int) =
        BinaryPrimitives.WriteUInt32BigEndian(destination, uint32 length)

    /// <summary>Writes the goodbye marker into the first 4 bytes of <paramref name="destination"/>.</summary>
    [<CompiledName "WriteGoodbye">]
    let writeGoodbye (destination: Span<byte>) =
        BinaryPrimitives.WriteUInt32BigEndian(destination, GoodbyeMarker)

    /// <summary>Reads the first 4 bytes of <paramref name="source"/> as a frame prefix.</summary>
    [<CompiledName "ReadHeader">]
    let readHeader (source: ReadOnlySpan<byte>) : FrameHeader =
        let prefix = BinaryPrimitives.ReadUInt32BigEndian source
        if prefix &&& 0x80000000u = 0u then Payload(int prefix)
        elif prefix = GoodbyeMarker then Goodbye
        else Malformed prefix

    /// Checks a configured frame limit.
    let internal validateLimit (limit: int) =
        if limit < 1 || limit > MaxConfigurableSize then
            raise (ArgumentOutOfRangeException("MaxFrameSize", limit, $"a frame limit is 1..{MaxConfigurableSize} bytes"))
