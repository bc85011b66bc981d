namespace TractorNet.Wire

open System
open System.Buffers
open System.Buffers.Binary
open System.Runtime.CompilerServices
open System.Text

/// Throw helpers, kept out of line so the readers' hot paths stay small.
module internal DecodeError =
    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let fail (offset: int64) (message: string) : 'a = raise (MsgPackDecodeException(message, offset))

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let endOfData (offset: int64) : 'a =
        raise (MsgPackDecodeException("unexpected end of data: expected a value", offset))

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let truncated (offset: int64) (code: byte) (needed: int64) (remaining: int64) : 'a =
        raise (
            MsgPackDecodeException(
                $"truncated data: {MsgPackCode.describe code} (0x%02x{code}) needs {needed} more bytes but only {remaining} remain",
                offset
            )
        )

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let wrongType (offset: int64) (expected: string) (code: byte) : 'a =
        raise (MsgPackDecodeException($"expected {expected}, found {MsgPackCode.describe code}", offset))

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let tooLong (offset: int64) (what: string) (claimed: int64) (unit: string) (remaining: int64) : 'a =
        raise (
            MsgPackDecodeException($"{what} header claims {claimed} {unit} but only {remaining} bytes remain", offset)
        )

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let outOfRange (offset: int64) (value: string) (target: string) : 'a =
        raise (MsgPackDecodeException($"integer {value} does not fit in {target}", offset))

/// <summary>
/// Reads MessagePack from a <c>ReadOnlySequence&lt;byte&gt;</c> (or <c>ReadOnlyMemory&lt;byte&gt;</c>). A
/// <c>ref struct</c>: keep it in a mutable local and pass it by reference. Every error is a
/// <see cref="T:TractorNet.Wire.MsgPackDecodeException"/> carrying the byte offset of the offending value; lengths in headers
/// are checked against the remaining bytes before anything is allocated. Strings are validated
/// as UTF-8. <c>Enter</c>/<c>Leave</c> bound the nesting depth of recursive decoders.
/// </summary>
[<Struct; IsByRefLike>]
type MsgPackReader =
    // The input is walked segment by segment: `span` is the current segment, `pos` the read
    // position in it, `next` the position of the following segment in `sequence`. Invariant:
    // pos < span.Length unless every byte has been consumed.
    val mutable private sequence: ReadOnlySequence<byte>
    val mutable private next: SequencePosition
    val mutable private span: ReadOnlySpan<byte>
    val mutable private pos: int
    val mutable private segmentOffset: int64
    val private length: int64
    val mutable private depth: int
    val private maxDepth: int

    /// <summary>A reader over <paramref name="input"/> with the default nesting limit (64).</summary>
    new(input: ReadOnlySequence<byte>) = MsgPackReader(input, MsgPackWriter.DefaultMaxDepth)

    /// <summary>
    /// A reader over <paramref name="input"/> whose <c>Enter()</c> fails beyond <paramref name="maxDepth"/> nested values.
    /// </summary>
    new(input: ReadOnlySequence<byte>, maxDepth: int) =
        let mutable next = input.Start
        let mutable memory = ReadOnlyMemory<byte>.Empty
        let mutable found = false
        while not found && input.TryGet(&next, &memory, true) do
            found <- memory.Length > 0
        { sequence = input
          next = next
          span = (if found then memory.Span else ReadOnlySpan<byte>.Empty)
          pos = 0
          segmentOffset = 0L
          length = input.Length
          depth = 0
          maxDepth = maxDepth }

    /// <summary>A reader over <paramref name="input"/> with the default nesting limit (64).</summary>
    new(input: ReadOnlyMemory<byte>) = MsgPackReader(input, MsgPackWriter.DefaultMaxDepth)

    /// <summary>
    /// A reader over <paramref name="input"/> whose <c>Enter()</c> fails beyond <paramref name="maxDepth"/> nested values.
    /// </summary>
    new(input: ReadOnlyMemory<byte>, maxDepth: int) =
        // One segment: no segment walk (a default position has no next segment).
        { sequence = ReadOnlySequence<byte>(input)
          next = Unchecked.defaultof<SequencePosition>
          span = input.Span
          pos = 0
          segmentOffset = 0L
          length = int64 input.Length
          depth = 0
          maxDepth = maxDepth }

    static member val private StrictUtf8 = UTF8Encoding(false, true)

    // ---- position ----

    /// <summary>Bytes consumed so far (the offset of the next value).</summary>
    member this.Consumed = this.segmentOffset + int64 this.pos

    /// <summary>Bytes not yet consumed.</summary>
    member this.Remaining = this.length - this.Consumed

    /// <summary>True when every byte has been consumed.</summary>
    member this.End = this.pos >= this.span.Length

    /// <summary>The position of the next value in <c>Sequence</c>.</summary>
    member this.Position = this.sequence.GetPosition this.Consumed

    /// <summary>The whole input.</summary>
    member this.Sequence = this.sequence

    /// <summary>The current nesting depth (see <c>Enter</c>).</summary>
    member this.Depth = this.depth

    /// <summary>The nesting limit.</summary>
    member this.MaxDepth = this.maxDepth

    /// <summary>Called by decoders of containers before reading their content; fails beyond <c>MaxDepth</c>.</summary>
    member this.Enter() =
        this.depth <- this.depth + 1
        if this.depth > this.maxDepth then
            this.depth <- this.depth - 1
            DecodeError.fail this.Consumed $"nesting deeper than {this.maxDepth} levels"

    /// <summary>Called by decoders of containers after reading their content.</summary>
    member this.Leave() = this.depth <- this.depth - 1

    // ---- byte access ----

    /// Moves past exhausted (and empty) segments.
    [<MethodImpl(MethodImplOptions.NoInlining)>]
    member private this.NextSegment() =
        let mutable memory = ReadOnlyMemory<byte>.Empty
        while this.pos >= this.span.Length && this.sequence.TryGet(&this.next, &memory, true) do
            this.pos <- this.pos - this.span.Length
            this.segmentOffset <- this.segmentOffset + int64 this.span.Length
            this.span <- memory.Span

    /// Consumes `count` bytes (the caller has checked they exist).
    member private this.Advance(count: int64) =
        let target = int64 this.pos + count
        if target < int64 this.span.Length then
            this.pos <- int target
        else
            // Skip whole segments without loading them one byte at a time.
            let mutable rest = target
            let mutable memory = ReadOnlyMemory<byte>.Empty
            while rest >= int64 this.span.Length && this.sequence.TryGet(&this.next, &memory, true) do
                rest <- rest - int64 this.span.Length
                this.segmentOffset <- this.segmentOffset + int64 this.span.Length
                this.span <- memory.Span
            this.pos <- int rest

    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    member private this.AdvanceInSpan(count: int) =
        this.pos <- this.pos + count
        if this.pos >= this.span.Length then this.NextSegment()

    /// Puts the reader back at an earlier offset (error paths only).
    member private this.Seek(offset: int64) =
        if offset >= this.segmentOffset then
            this.pos <- int (offset - this.segmentOffset)
        else
            let rest = this.sequence.Slice offset
            let mutable next = rest.Start
            let mutable memory = ReadOnlyMemory<byte>.Empty
            rest.TryGet(&next, &memory, true) |> ignore
            this.next <- next
            this.span <- memory.Span
            this.segmentOffset <- offset
            this.pos <- 0
            if this.span.IsEmpty then this.NextSegment()

    /// Copies the next `destination.Length` bytes (the caller has checked they exist).
    member private this.CopyTo(destination: Span<byte>) =
        let mutable rest = destination
        while rest.Length > 0 do
            let n = min (this.span.Length - this.pos) rest.Length
            this.span.Slice(this.pos, n).CopyTo rest
            rest <- rest.Slice n
            this.AdvanceInSpan n

    /// <summary>The first byte of the next value, not consumed.</summary>
    member this.NextCode: byte =
        if this.pos >= this.span.Length then DecodeError.endOfData this.Consumed
        this.span[this.pos]

    /// <summary>The family of the next value, not consumed.</summary>
    member this.NextType: MsgPackType = MsgPackCode.typeOf this.NextCode

    member inline private this.Code() : byte =
        if this.pos >= this.span.Length then DecodeError.endOfData this.Consumed
        let b = this.span[this.pos]
        this.AdvanceInSpan 1
        b

    /// Reads `count` (1..8) big-endian bytes that straddle segments.
    [<MethodImpl(MethodImplOptions.NoInlining)>]
    member private this.TakeSlow(start: int64, code: byte, count: int) : uint64 =
        if this.Remaining < int64 count then DecodeError.truncated start code (int64 count) this.Remaining
        let mutable v = 0UL
        for _ in 1..count do
            v <- (v <<< 8) ||| uint64 this.span[this.pos]
            this.AdvanceInSpan 1
        v

    member private this.Take8(start: int64, code: byte) : byte =
        if this.pos >= this.span.Length then DecodeError.truncated start code 1L 0L
        let b = this.span[this.pos]
        this.AdvanceInSpan 1
        b

    member private this.Take16(start: int64, code: byte) : uint16 =
        if this.span.Length - this.pos >= 2 then
            let v = BinaryPrimitives.ReadUInt16BigEndian(this.span.Slice this.pos)
            this.AdvanceInSpan 2
            v
        else
            uint16 (this.TakeSlow(start, code, 2))

    member private this.Take32(start: int64, code: byte) : uint32 =
        if this.span.Length - this.pos >= 4 then
            let v = BinaryPrimitives.ReadUInt32BigEndian(this.span.Slice this.pos)
            this.AdvanceInSpan 4
            v
        else
            uint32 (this.TakeSlow(start, code, 4))

    member private this.Take64(start: int64, code: byte) : uint64 =
        if this.span.Length - this.pos >= 8 then
            let v = BinaryPrimitives.ReadUInt64BigEndian(this.span.Slice this.pos)
            this.AdvanceInSpan 8
            v
        else
            this.TakeSlow(start, code, 8)

    /// Puts back the code byte just read, so a wrong-type error leaves the reader on the value.
    member private this.WrongType(start: int64, expected: string, code: byte) : 'a =
        this.Seek start
        DecodeError.wrongType start expected code

    // ---- nil, bool ----

    /// <summary>Consumes a nil and returns true if the next value is nil; otherwise consumes nothing.</summary>
    member this.TryReadNil() : bool =
        if this.pos < this.span.Length && this.span[this.pos] = MsgPackCode.Nil then
            this.AdvanceInSpan 1
            true
        else
            false

    /// <summary>Reads a nil.</summary>
    member this.ReadNil() =
        let start = this.Consumed
        let code = this.Code()
        if code <> MsgPackCode.Nil then this.WrongType(start, "nil", code)

    /// <summary>Reads a bool.</summary>
    member this.ReadBoolean() : bool =
        let start = this.Consumed
        match this.Code() with
        | MsgPackCode.True -> true
        | MsgPackCode.False -> false
        | code -> this.WrongType(start, "bool", code)

    // ---- integers ----

    member private this.ReadSigned(target: string) : int64 =
        let start = this.Consumed
        let code = this.Code()
        if code <= MsgPackCode.MaxFixInt then int64 code
        elif code >= MsgPackCode.MinNegativeFixInt then int64 (sbyte code)
        else
            match code with
            | MsgPackCode.UInt8 -> int64 (this.Take8(start, code))
            | MsgPackCode.UInt16 -> int64 (this.Take16(start, code))
            | MsgPackCode.UInt32 -> int64 (this.Take32(start, code))
            | MsgPackCode.UInt64 ->
                let v = this.Take64(start, code)
                if v > uint64 Int64.MaxValue then DecodeError.outOfRange start (string v) target
                int64 v
            | MsgPackCode.Int8 -> int64 (sbyte (this.Take8(start, code)))
            | MsgPackCode.Int16 -> int64 (int16 (this.Take16(start, code)))
            | MsgPackCode.Int32 -> int64 (int32 (this.Take32(start, code)))
            | MsgPackCode.Int64 -> int64 (this.Take64(start, code))
            | _ -> this.WrongType(start, "int", code)

    member private this.ReadUnsigned(target: string) : uint64 =
        let start = this.Consumed
        let code = this.Code()
        if code <= MsgPackCode.MaxFixInt then uint64 code
        else
            let negative (v: int64) : uint64 =
                if v < 0L then DecodeError.outOfRange start (string v) target else uint64 v
            match code with
            | MsgPackCode.UInt8 -> uint64 (this.Take8(start, code))
            | MsgPackCode.UInt16 -> uint64 (this.Take16(start, code))
            | MsgPackCode.UInt32 -> uint64 (this.Take32(start, code))
            | MsgPackCode.UInt64 -> this.Take64(start, code)
            | MsgPackCode.Int8 -> negative (int64 (sbyte (this.Take8(start, code))))
            | MsgPackCode.Int16 -> negative (int64 (int16 (this.Take16(start, code))))
            | MsgPackCode.Int32 -> negative (int64 (int32 (this.Take32(start, code))))
            | MsgPackCode.Int64 -> negative (int64 (this.Take64(start, code)))
            | _ when code >= MsgPackCode.MinNegativeFixInt -> negative (int64 (sbyte code))
            | _ -> this.WrongType(start, "int", code)

    member private this.ReadSignedIn(target: string, min: int64, max: int64) : int64 =
        let start = this.Consumed
        let v = this.ReadSigned target
        if v < min || v > max then DecodeError.outOfRange start (string v) target
        v

    member private this.ReadUnsignedIn(target: string, max: uint64) : uint64 =
        let start = this.Consumed
        let v = this.ReadUnsigned target
        if v > max then DecodeError.outOfRange start (string v) target
        v

    /// <summary>Reads any integer encoding whose value fits in an int64.</summary>
    member this.ReadInt64() : int64 = this.ReadSigned "Int64"
    /// <summary>Reads any integer encoding whose value fits in an int32.</summary>
    member this.ReadInt32() : int = int (this.ReadSignedIn("Int32", int64 Int32.MinValue, int64 Int32.MaxValue))
    /// <summary>Reads any integer encoding whose value fits in an int16.</summary>
    member this.ReadInt16() : int16 = int16 (this.ReadSignedIn("Int16", -32768L, 32767L))
    /// <summary>Reads any integer encoding whose value fits in an sbyte.</summary>
    member this.ReadSByte() : sbyte = sbyte (this.ReadSignedIn("SByte", -128L, 127L))
    /// <summary>Reads any integer encoding whose value fits in a uint64.</summary>
    member this.ReadUInt64() : uint64 = this.ReadUnsigned "UInt64"
    /// <summary>Reads any integer encoding whose value fits in a uint32.</summary>
    member this.ReadUInt32() : uint32 = uint32 (this.ReadUnsignedIn("UInt32", uint64 UInt32.MaxValue))
    /// <summary>Reads any integer encoding whose value fits in a uint16.</summary>
    member this.ReadUInt16() : uint16 = uint16 (this.ReadUnsignedIn("UInt16", 65535UL))
    /// <summary>Reads any integer encoding whose value fits in a byte.</summary>
    member this.ReadByte() : byte = byte (this.ReadUnsignedIn("Byte", 255UL))

    // ---- floats ----

    /// <summary>Reads a float64, a float32 (widened) or an integer (converted).</summary>
    member this.ReadDouble() : float =
        let start = this.Consumed
        match this.NextCode with
        | MsgPackCode.Float64 ->
            this.AdvanceInSpan 1
            BitConverter.UInt64BitsToDouble(this.Take64(start, MsgPackCode.Float64))
        | MsgPackCode.Float32 ->
            this.AdvanceInSpan 1
            float (BitConverter.UInt32BitsToSingle(this.Take32(start, MsgPackCode.Float32)))
        | MsgPackCode.UInt64 -> float (this.ReadUInt64())
        | code when MsgPackCode.typeOf code = MsgPackType.Integer -> float (this.ReadInt64())
        | code -> DecodeError.wrongType start "float" code

    /// <summary>Reads a float32, a float64 (narrowed) or an integer (converted).</summary>
    member this.ReadSingle() : float32 =
        let start = this.Consumed
        match this.NextCode with
        | MsgPackCode.Float32 ->
            this.AdvanceInSpan 1
            BitConverter.UInt32BitsToSingle(this.Take32(start, MsgPackCode.Float32))
        | MsgPackCode.Float64 ->
            this.AdvanceInSpan 1
            float32 (BitConverter.UInt64BitsToDouble(this.Take64(start, MsgPackCode.Float64)))
        | MsgPackCode.UInt64 -> float32 (this.ReadUInt64())
        | code when MsgPackCode.typeOf code = MsgPackType.Integer -> float32 (this.ReadInt64())
        | code -> DecodeError.wrongType start "float" code

    // ---- lengths ----

    /// Checks a length read from a header against the bytes left.
    member private this.CheckLength(start: int64, what: string, length: int64, unitBytes: int64, unitName: string) =
        let remaining = this.Remaining
        if length > remaining / unitBytes || length > int64 Int32.MaxValue then
            DecodeError.tooLong start what length unitName remaining

    /// <summary>
    /// Reads a str header and returns the byte length of the UTF-8 that follows (checked
    /// against the remaining bytes).
    /// </summary>
    member this.ReadStringHeader() : int =
        let start = this.Consumed
        let code = this.Code()
        let length =
            if code >= MsgPackCode.FixStr && code < MsgPackCode.Nil then int64 (code &&& 0x1fuy)
            else
                match code with
                | MsgPackCode.Str8 -> int64 (this.Take8(start, code))
                | MsgPackCode.Str16 -> int64 (this.Take16(start, code))
                | MsgPackCode.Str32 -> int64 (this.Take32(start, code))
                | _ -> this.WrongType(start, "str", code)
        this.CheckLength(start, "str", length, 1L, "bytes")
        int length

    /// <summary>
    /// Reads a bin header and returns the number of bytes that follow (checked against the
    /// remaining bytes).
    /// </summary>
    member this.ReadBinaryHeader() : int =
        let start = this.Consumed
        let code = this.Code()
        let length =
            match code with
            | MsgPackCode.Bin8 -> int64 (this.Take8(start, code))
            | MsgPackCode.Bin16 -> int64 (this.Take16(start, code))
            | MsgPackCode.Bin32 -> int64 (this.Take32(start, code))
            | _ -> this.WrongType(start, "bin", code)
        this.CheckLength(start, "bin", length, 1L, "bytes")
        int length

    /// <summary>
    /// Reads an array header and returns its element count (at most the remaining bytes, since
    /// every element takes at least one).
    /// </summary>
    member this.ReadArrayHeader() : int =
        let start = this.Consumed
        let code = this.Code()
        let count =
            if code >= MsgPackCode.FixArray && code < MsgPackCode.FixStr then int64 (code &&& 0x0fuy)
            else
                match code with
                | MsgPackCode.Array16 -> int64 (this.Take16(start, code))
                | MsgPackCode.Array32 -> int64 (this.Take32(start, code))
                | _ -> this.WrongType(start, "array", code)
        this.CheckLength(start, "array", count, 1L, "elements")
        int count

    /// <summary>
    /// Reads a map header and returns its number of key/value pairs (checked against the
    /// remaining bytes).
    /// </summary>
    member this.ReadMapHeader() : int =
        let start = this.Consumed
        let code = this.Code()
        let count =
            if code >= MsgPackCode.FixMap && code < MsgPackCode.FixArray then int64 (code &&& 0x0fuy)
            else
                match code with
                | MsgPackCode.Map16 -> int64 (this.Take16(start, code))
                | MsgPackCode.Map32 -> int64 (this.Take32(start, code))
                | _ -> this.WrongType(start, "map", code)
        this.CheckLength(start, "map", count, 2L, "entries")
        int count

    /// <summary>Reads an ext header (fixext or ext8/16/32); the data bytes follow.</summary>
    member this.ReadExtHeader() : MsgPackExtHeader =
        let start = this.Consumed
        let code = this.Code()
        let length =
            match code with
            | MsgPackCode.FixExt1 -> 1L
            | MsgPackCode.FixExt2 -> 2L
            | MsgPackCode.FixExt4 -> 4L
            | MsgPackCode.FixExt8 -> 8L
            | MsgPackCode.FixExt16 -> 16L
            | MsgPackCode.Ext8 -> int64 (this.Take8(start, code))
            | MsgPackCode.Ext16 -> int64 (this.Take16(start, code))
            | MsgPackCode.Ext32 -> int64 (this.Take32(start, code))
            | _ -> this.WrongType(start, "ext", code)
        let typeCode = sbyte (this.Take8(start, code))
        this.CheckLength(start, "ext", length, 1L, "bytes")
        { TypeCode = typeCode; Length = int length }

    // ---- bodies ----

    /// <summary>Consumes <paramref name="length"/> bytes and returns them as a slice of the input (no copy).</summary>
    member this.ReadRaw(length: int64) : ReadOnlySequence<byte> =
        if length < 0L || length > this.Remaining then
            DecodeError.fail this.Consumed $"asked for {length} raw bytes but only {this.Remaining} remain"
        let slice = this.sequence.Slice(this.Consumed, length)
        this.Advance length
        slice

    /// <summary>Reads a str value.</summary>
    member this.ReadString() : string =
        let start = this.Consumed
        let length = this.ReadStringHeader()
        if length = 0 then
            ""
        else
            let unread = this.span.Slice this.pos
            if unread.Length >= length then
                let text =
                    match AsciiText.tryDecode (unread.Slice(0, length)) with
                    | null ->
                        try
                            MsgPackReader.StrictUtf8.GetString(unread.Slice(0, length))
                        with :? DecoderFallbackException ->
                            DecodeError.fail start "invalid UTF-8 in str"
                    | ascii -> ascii
                this.AdvanceInSpan length
                text
            else
                // The bytes span several segments: gather them first.
                let buffer = ArrayPool<byte>.Shared.Rent length
                try
                    this.CopyTo(Span<byte>(buffer, 0, length))
                    let text =
                        try
                            MsgPackReader.StrictUtf8.GetString(buffer, 0, length)
                        with :? DecoderFallbackException ->
                            DecodeError.fail start "invalid UTF-8 in str"
                    text
                finally
                    ArrayPool<byte>.Shared.Return buffer

    /// <summary>Reads a str value, or null for nil.</summary>
    member this.ReadStringOrNull() : string = if this.TryReadNil() then null else this.ReadString()

    /// <summary>Reads a str value's raw UTF-8 bytes as a slice of the input (no copy, not validated).</summary>
    member this.ReadStringBytes() : ReadOnlySequence<byte> =
        let length = this.ReadStringHeader()
        this.ReadRaw(int64 length)

    /// <summary>
    /// Reads a str value's raw UTF-8 bytes as a span (no copy when they are contiguous in the
    /// input, else a copy; not validated).
    /// </summary>
    member this.ReadStringSpan() : ReadOnlySpan<byte> =
        let length = this.ReadStringHeader()
        let unread = this.span.Slice this.pos
        if unread.Length >= length then
            let span = unread.Slice(0, length)
            this.Advance(int64 length)
            span
        else
            ReadOnlySpan<byte>(this.ReadRaw(int64 length).ToArray())

    /// <summary>Reads a bin value as a slice of the input (no copy).</summary>
    member this.ReadBytes() : ReadOnlySequence<byte> =
        let length = this.ReadBinaryHeader()
        this.ReadRaw(int64 length)

    /// <summary>Reads a bin value into a new array.</summary>
    member this.ReadByteArray() : byte array =
        let length = this.ReadBinaryHeader()
        let bytes = Array.zeroCreate<byte> length
        this.CopyTo(Span<byte> bytes)
        bytes

    /// <summary>Reads an ext value (its data is a slice of the input, no copy).</summary>
    member this.ReadExt() : MsgPackExt =
        let header = this.ReadExtHeader()
        { TypeCode = header.TypeCode
          Data = this.ReadRaw(int64 header.Length) }

    /// <summary>Reads a timestamp extension (type -1) in any of its 32/64/96-bit forms.</summary>
    member this.ReadTimestamp() : MsgPackTimestamp =
        let start = this.Consumed
        if MsgPackCode.typeOf this.NextCode <> MsgPackType.Extension then
            DecodeError.wrongType start "timestamp" this.NextCode
        let header = this.ReadExtHeader()
        if header.TypeCode <> MsgPackCode.TimestampExt then
            DecodeError.fail start $"expected timestamp (ext -1), found ext type {header.TypeCode}"
        let code = MsgPackCode.Ext8
        let seconds, nanos =
            match header.Length with
            | 4 -> int64 (this.Take32(start, code)), 0u
            | 8 ->
                let v = this.Take64(start, code)
                int64 (v &&& 0x3ffffffffUL), uint32 (v >>> 34)
            | 12 ->
                let nanos = this.Take32(start, code)
                int64 (this.Take64(start, code)), nanos
            | n -> DecodeError.fail start $"invalid timestamp length {n} (expected 4, 8 or 12)"
        if nanos >= 1_000_000_000u then
            DecodeError.fail start $"invalid timestamp: {nanos} nanoseconds"
        MsgPackTimestamp(seconds, nanos)

    /// <summary>Reads a timestamp extension as a UTC <c>DateTime</c> (fails outside years 1..9999).</summary>
    member this.ReadDateTime() : DateTime =
        let start = this.Consumed
        let t = this.ReadTimestamp()
        if t.Seconds < -62135596800L || t.Seconds > 253402300799L then
            DecodeError.fail start $"timestamp {t.Seconds}s is outside DateTime's range"
        t.ToDateTime()

    // ---- skipping ----

    /// <summary>
    /// Skips one whole value (with everything nested in it). Iterative: deep nesting costs no
    /// stack, and every header is checked against the remaining bytes, so it cannot hang.
    /// </summary>
    member this.Skip() =
        let mutable pending = 1L
        while pending > 0L do
            pending <- pending - 1L
            let start = this.Consumed
            let code = this.NextCode
            match MsgPackCode.typeOf code with
            | MsgPackType.Nil
            | MsgPackType.Boolean -> this.AdvanceInSpan 1
            | MsgPackType.Integer ->
                let size =
                    match code with
                    | MsgPackCode.UInt8
                    | MsgPackCode.Int8 -> 1L
                    | MsgPackCode.UInt16
                    | MsgPackCode.Int16 -> 2L
                    | MsgPackCode.UInt32
                    | MsgPackCode.Int32 -> 4L
                    | MsgPackCode.UInt64
                    | MsgPackCode.Int64 -> 8L
                    | _ -> 0L
                this.SkipBody(start, code, 1L + size)
            | MsgPackType.Float -> this.SkipBody(start, code, (if code = MsgPackCode.Float32 then 5L else 9L))
            | MsgPackType.String -> this.Advance(int64 (this.ReadStringHeader()))
            | MsgPackType.Binary -> this.Advance(int64 (this.ReadBinaryHeader()))
            | MsgPackType.Extension -> this.Advance(int64 (this.ReadExtHeader().Length))
            | MsgPackType.Array -> pending <- pending + int64 (this.ReadArrayHeader())
            | MsgPackType.Map -> pending <- pending + 2L * int64 (this.ReadMapHeader())
            | _ -> DecodeError.fail start "invalid byte 0xc1 (never used by the format)"
            // Every pending value needs at least one byte: fail now rather than later.
            if pending > this.Remaining then
                DecodeError.fail start $"{pending} more values announced but only {this.Remaining} bytes remain"

    member private this.SkipBody(start: int64, code: byte, size: int64) =
        if this.Remaining < size then DecodeError.truncated start code (size - 1L) (this.Remaining - 1L)
        this.Advance size

    /// <summary>Skips one whole value and returns its bytes (a slice of the input, no copy).</summary>
    member this.ReadRawValue() : ReadOnlySequence<byte> =
        let start = this.Consumed
        this.Skip()
        this.sequence.Slice(start, this.Consumed - start)
