namespace TractorNet.Wire

open System
open System.Buffers
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

/// Reads MessagePack from a `ReadOnlySequence<byte>` (or `ReadOnlyMemory<byte>`). A
/// `ref struct`: keep it in a mutable local and pass it by reference. Every error is a
/// `MsgPackDecodeException` carrying the byte offset of the offending value; lengths in headers
/// are checked against the remaining bytes before anything is allocated. Strings are validated
/// as UTF-8. `Enter`/`Leave` bound the nesting depth of recursive decoders.
[<Struct; IsByRefLike>]
type MsgPackReader =
    val mutable private r: SequenceReader<byte>
    val mutable private depth: int
    val private maxDepth: int

    /// A reader over `input` with the default nesting limit (64).
    new(input: ReadOnlySequence<byte>) = MsgPackReader(input, MsgPackWriter.DefaultMaxDepth)

    /// A reader over `input` whose `Enter()` fails beyond `maxDepth` nested values.
    new(input: ReadOnlySequence<byte>, maxDepth: int) =
        { r = SequenceReader<byte>(input)
          depth = 0
          maxDepth = maxDepth }

    /// A reader over `input` with the default nesting limit (64).
    new(input: ReadOnlyMemory<byte>) = MsgPackReader(ReadOnlySequence<byte>(input), MsgPackWriter.DefaultMaxDepth)

    /// A reader over `input` whose `Enter()` fails beyond `maxDepth` nested values.
    new(input: ReadOnlyMemory<byte>, maxDepth: int) = MsgPackReader(ReadOnlySequence<byte>(input), maxDepth)

    static member val private StrictUtf8 = UTF8Encoding(false, true)

    /// Bytes consumed so far (the offset of the next value).
    member this.Consumed = this.r.Consumed

    /// Bytes not yet consumed.
    member this.Remaining = this.r.Remaining

    /// True when every byte has been consumed.
    member this.End = this.r.End

    /// The position of the next value in `Sequence`.
    member this.Position = this.r.Position

    /// The whole input.
    member this.Sequence = this.r.Sequence

    /// The current nesting depth (see `Enter`).
    member this.Depth = this.depth

    /// The nesting limit.
    member this.MaxDepth = this.maxDepth

    /// Called by decoders of containers before reading their content; fails beyond `MaxDepth`.
    member this.Enter() =
        this.depth <- this.depth + 1
        if this.depth > this.maxDepth then
            this.depth <- this.depth - 1
            DecodeError.fail this.r.Consumed $"nesting deeper than {this.maxDepth} levels"

    /// Called by decoders of containers after reading their content.
    member this.Leave() = this.depth <- this.depth - 1

    // ---- primitive byte access ----

    /// The first byte of the next value, not consumed.
    member this.NextCode: byte =
        let mutable b = 0uy
        if not (this.r.TryPeek(&b)) then DecodeError.endOfData this.r.Consumed
        b

    /// The family of the next value, not consumed.
    member this.NextType: MsgPackType = MsgPackCode.typeOf this.NextCode

    member inline private this.Code() : byte =
        let mutable b = 0uy
        if not (this.r.TryRead(&b)) then DecodeError.endOfData this.r.Consumed
        b

    member private this.Take8(start: int64, code: byte) : byte =
        let mutable b = 0uy
        if not (this.r.TryRead(&b)) then DecodeError.truncated start code 1L this.r.Remaining
        b

    member private this.Take16(start: int64, code: byte) : uint16 =
        let mutable v = 0s
        if not (this.r.TryReadBigEndian(&v)) then DecodeError.truncated start code 2L this.r.Remaining
        uint16 v

    member private this.Take32(start: int64, code: byte) : uint32 =
        let mutable v = 0
        if not (this.r.TryReadBigEndian(&v)) then DecodeError.truncated start code 4L this.r.Remaining
        uint32 v

    member private this.Take64(start: int64, code: byte) : uint64 =
        let mutable v = 0L
        if not (this.r.TryReadBigEndian(&v)) then DecodeError.truncated start code 8L this.r.Remaining
        uint64 v

    /// Puts back the code byte just read, so a wrong-type error leaves the reader on the value.
    member private this.WrongType(start: int64, expected: string, code: byte) : 'a =
        this.r.Rewind 1L
        DecodeError.wrongType start expected code

    // ---- nil, bool ----

    /// Consumes a nil and returns true if the next value is nil; otherwise consumes nothing.
    member this.TryReadNil() : bool =
        let mutable b = 0uy
        if this.r.TryPeek(&b) && b = MsgPackCode.Nil then
            this.r.Advance 1L
            true
        else
            false

    /// Reads a nil.
    member this.ReadNil() =
        let start = this.r.Consumed
        let code = this.Code()
        if code <> MsgPackCode.Nil then this.WrongType(start, "nil", code)

    /// Reads a bool.
    member this.ReadBoolean() : bool =
        let start = this.r.Consumed
        match this.Code() with
        | MsgPackCode.True -> true
        | MsgPackCode.False -> false
        | code -> this.WrongType(start, "bool", code)

    // ---- integers ----

    member private this.ReadSigned(target: string) : int64 =
        let start = this.r.Consumed
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
        let start = this.r.Consumed
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
        let start = this.r.Consumed
        let v = this.ReadSigned target
        if v < min || v > max then DecodeError.outOfRange start (string v) target
        v

    member private this.ReadUnsignedIn(target: string, max: uint64) : uint64 =
        let start = this.r.Consumed
        let v = this.ReadUnsigned target
        if v > max then DecodeError.outOfRange start (string v) target
        v

    /// Reads any integer encoding whose value fits in an int64.
    member this.ReadInt64() : int64 = this.ReadSigned "Int64"
    /// Reads any integer encoding whose value fits in an int32.
    member this.ReadInt32() : int = int (this.ReadSignedIn("Int32", int64 Int32.MinValue, int64 Int32.MaxValue))
    /// Reads any integer encoding whose value fits in an int16.
    member this.ReadInt16() : int16 = int16 (this.ReadSignedIn("Int16", -32768L, 32767L))
    /// Reads any integer encoding whose value fits in an sbyte.
    member this.ReadSByte() : sbyte = sbyte (this.ReadSignedIn("SByte", -128L, 127L))
    /// Reads any integer encoding whose value fits in a uint64.
    member this.ReadUInt64() : uint64 = this.ReadUnsigned "UInt64"
    /// Reads any integer encoding whose value fits in a uint32.
    member this.ReadUInt32() : uint32 = uint32 (this.ReadUnsignedIn("UInt32", uint64 UInt32.MaxValue))
    /// Reads any integer encoding whose value fits in a uint16.
    member this.ReadUInt16() : uint16 = uint16 (this.ReadUnsignedIn("UInt16", 65535UL))
    /// Reads any integer encoding whose value fits in a byte.
    member this.ReadByte() : byte = byte (this.ReadUnsignedIn("Byte", 255UL))

    // ---- floats ----

    /// Reads a float64, a float32 (widened) or an integer (converted).
    member this.ReadDouble() : float =
        let start = this.r.Consumed
        match this.NextCode with
        | MsgPackCode.Float64 ->
            this.r.Advance 1L
            BitConverter.UInt64BitsToDouble(this.Take64(start, MsgPackCode.Float64))
        | MsgPackCode.Float32 ->
            this.r.Advance 1L
            float (BitConverter.UInt32BitsToSingle(this.Take32(start, MsgPackCode.Float32)))
        | MsgPackCode.UInt64 -> float (this.ReadUInt64())
        | code when MsgPackCode.typeOf code = MsgPackType.Integer -> float (this.ReadInt64())
        | code -> DecodeError.wrongType start "float" code

    /// Reads a float32, a float64 (narrowed) or an integer (converted).
    member this.ReadSingle() : float32 =
        let start = this.r.Consumed
        match this.NextCode with
        | MsgPackCode.Float32 ->
            this.r.Advance 1L
            BitConverter.UInt32BitsToSingle(this.Take32(start, MsgPackCode.Float32))
        | MsgPackCode.Float64 ->
            this.r.Advance 1L
            float32 (BitConverter.UInt64BitsToDouble(this.Take64(start, MsgPackCode.Float64)))
        | MsgPackCode.UInt64 -> float32 (this.ReadUInt64())
        | code when MsgPackCode.typeOf code = MsgPackType.Integer -> float32 (this.ReadInt64())
        | code -> DecodeError.wrongType start "float" code

    // ---- lengths ----

    /// Checks a length read from a header against the bytes left.
    member private this.CheckLength(start: int64, what: string, length: int64, unitBytes: int64, unitName: string) =
        let remaining = this.r.Remaining
        if length > remaining / unitBytes || length > int64 Int32.MaxValue then
            DecodeError.tooLong start what length unitName remaining

    /// Reads a str header and returns the byte length of the UTF-8 that follows (checked
    /// against the remaining bytes).
    member this.ReadStringHeader() : int =
        let start = this.r.Consumed
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

    /// Reads a bin header and returns the number of bytes that follow (checked against the
    /// remaining bytes).
    member this.ReadBinaryHeader() : int =
        let start = this.r.Consumed
        let code = this.Code()
        let length =
            match code with
            | MsgPackCode.Bin8 -> int64 (this.Take8(start, code))
            | MsgPackCode.Bin16 -> int64 (this.Take16(start, code))
            | MsgPackCode.Bin32 -> int64 (this.Take32(start, code))
            | _ -> this.WrongType(start, "bin", code)
        this.CheckLength(start, "bin", length, 1L, "bytes")
        int length

    /// Reads an array header and returns its element count (at most the remaining bytes, since
    /// every element takes at least one).
    member this.ReadArrayHeader() : int =
        let start = this.r.Consumed
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

    /// Reads a map header and returns its number of key/value pairs (checked against the
    /// remaining bytes).
    member this.ReadMapHeader() : int =
        let start = this.r.Consumed
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

    /// Reads an ext header (fixext or ext8/16/32); the data bytes follow.
    member this.ReadExtHeader() : MsgPackExtHeader =
        let start = this.r.Consumed
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

    /// Consumes `length` bytes and returns them as a slice of the input (no copy).
    member this.ReadRaw(length: int64) : ReadOnlySequence<byte> =
        if length < 0L || length > this.r.Remaining then
            DecodeError.fail this.r.Consumed $"asked for {length} raw bytes but only {this.r.Remaining} remain"
        let slice = this.r.Sequence.Slice(this.r.Position, length)
        this.r.Advance length
        slice

    /// Reads a str value.
    member this.ReadString() : string =
        let start = this.r.Consumed
        let length = this.ReadStringHeader()
        if length = 0 then
            ""
        else
            let unread = this.r.UnreadSpan
            if unread.Length >= length then
                let text =
                    try
                        MsgPackReader.StrictUtf8.GetString(unread.Slice(0, length))
                    with :? DecoderFallbackException ->
                        DecodeError.fail start "invalid UTF-8 in str"
                this.r.Advance(int64 length)
                text
            else
                // The bytes span several segments: gather them first.
                let buffer = ArrayPool<byte>.Shared.Rent length
                try
                    this.r.TryCopyTo(Span<byte>(buffer, 0, length)) |> ignore
                    let text =
                        try
                            MsgPackReader.StrictUtf8.GetString(buffer, 0, length)
                        with :? DecoderFallbackException ->
                            DecodeError.fail start "invalid UTF-8 in str"
                    this.r.Advance(int64 length)
                    text
                finally
                    ArrayPool<byte>.Shared.Return buffer

    /// Reads a str value's raw UTF-8 bytes as a slice of the input (no copy, not validated).
    member this.ReadStringBytes() : ReadOnlySequence<byte> =
        let length = this.ReadStringHeader()
        this.ReadRaw(int64 length)

    /// Reads a str value's raw UTF-8 bytes as a span (no copy when they are contiguous in the
    /// input, else a copy; not validated).
    member this.ReadStringSpan() : ReadOnlySpan<byte> =
        let length = this.ReadStringHeader()
        let unread = this.r.UnreadSpan
        if unread.Length >= length then
            let span = unread.Slice(0, length)
            this.r.Advance(int64 length)
            span
        else
            ReadOnlySpan<byte>(this.ReadRaw(int64 length).ToArray())

    /// Reads a bin value as a slice of the input (no copy).
    member this.ReadBytes() : ReadOnlySequence<byte> =
        let length = this.ReadBinaryHeader()
        this.ReadRaw(int64 length)

    /// Reads a bin value into a new array.
    member this.ReadByteArray() : byte array =
        let length = this.ReadBinaryHeader()
        let bytes = Array.zeroCreate<byte> length
        this.r.TryCopyTo(Span<byte> bytes) |> ignore
        this.r.Advance(int64 length)
        bytes

    /// Reads an ext value (its data is a slice of the input, no copy).
    member this.ReadExt() : MsgPackExt =
        let header = this.ReadExtHeader()
        { TypeCode = header.TypeCode
          Data = this.ReadRaw(int64 header.Length) }

    /// Reads a timestamp extension (type -1) in any of its 32/64/96-bit forms.
    member this.ReadTimestamp() : MsgPackTimestamp =
        let start = this.r.Consumed
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

    /// Reads a timestamp extension as a UTC `DateTime` (fails outside years 1..9999).
    member this.ReadDateTime() : DateTime =
        let start = this.r.Consumed
        let t = this.ReadTimestamp()
        if t.Seconds < -62135596800L || t.Seconds > 253402300799L then
            DecodeError.fail start $"timestamp {t.Seconds}s is outside DateTime's range"
        t.ToDateTime()

    // ---- skipping ----

    /// Skips one whole value (with everything nested in it). Iterative: deep nesting costs no
    /// stack, and every header is checked against the remaining bytes, so it cannot hang.
    member this.Skip() =
        let mutable pending = 1L
        while pending > 0L do
            pending <- pending - 1L
            let start = this.r.Consumed
            let code = this.NextCode
            match MsgPackCode.typeOf code with
            | MsgPackType.Nil
            | MsgPackType.Boolean -> this.r.Advance 1L
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
            | MsgPackType.String -> this.r.Advance(int64 (this.ReadStringHeader()))
            | MsgPackType.Binary -> this.r.Advance(int64 (this.ReadBinaryHeader()))
            | MsgPackType.Extension -> this.r.Advance(int64 (this.ReadExtHeader().Length))
            | MsgPackType.Array -> pending <- pending + int64 (this.ReadArrayHeader())
            | MsgPackType.Map -> pending <- pending + 2L * int64 (this.ReadMapHeader())
            | _ -> DecodeError.fail start "invalid byte 0xc1 (never used by the format)"
            // Every pending value needs at least one byte: fail now rather than later.
            if pending > this.r.Remaining then
                DecodeError.fail start $"{pending} more values announced but only {this.r.Remaining} bytes remain"

    member private this.SkipBody(start: int64, code: byte, size: int64) =
        if this.r.Remaining < size then DecodeError.truncated start code (size - 1L) (this.r.Remaining - 1L)
        this.r.Advance size

    /// Skips one whole value and returns its bytes (a slice of the input, no copy).
    member this.ReadRawValue() : ReadOnlySequence<byte> =
        let from = this.r.Position
        let start = this.r.Consumed
        this.Skip()
        this.r.Sequence.Slice(from, this.r.Consumed - start)
