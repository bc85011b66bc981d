namespace TractorNet.Wire

open System
open System.Buffers
open System.Buffers.Binary
open System.Runtime.CompilerServices
open System.Text
open System.Text.Unicode

/// <summary>
/// Writes MessagePack to an <c>IBufferWriter&lt;byte&gt;</c>, always in the smallest encoding of each
/// value. Bytes are staged in the writer's current span and committed to the output in
/// blocks: call <c>Flush()</c> when done (nothing reaches the output before it). A <c>ref struct</c>:
/// keep it in a mutable local and pass it by reference (<c>&amp;writer</c> / <c>ref writer</c>); a copy
/// would diverge. Allocation-free.
/// </summary>
[<Struct; IsByRefLike>]
type MsgPackWriter =
    val mutable private output: IBufferWriter<byte>
    val mutable private span: Span<byte>
    val mutable private pos: int
    val mutable private committed: int64
    val mutable private depth: int
    val private maxDepth: int

    /// <summary>A writer over <paramref name="output"/> with the default nesting limit (64).</summary>
    new(output: IBufferWriter<byte>) = MsgPackWriter(output, MsgPackWriter.DefaultMaxDepth)

    /// <summary>
    /// A writer over <paramref name="output"/> whose <c>Enter()</c> fails beyond <paramref name="maxDepth"/> nested values
    /// (this catches cyclic object graphs before the stack does).
    /// </summary>
    new(output: IBufferWriter<byte>, maxDepth: int) =
        if isNull output then nullArg (nameof output)
        { output = output
          span = Span<byte>.Empty
          pos = 0
          committed = 0L
          depth = 0
          maxDepth = maxDepth }

    /// A writer whose first bytes go to `initial`, which must be the free space `output` would
    /// hand out next (its `GetSpan`): a small value is written without asking `output` for room,
    /// and `Flush` commits it as usual.
    internal new(output: IBufferWriter<byte>, maxDepth: int, initial: Span<byte>) =
        { output = output
          span = initial
          pos = 0
          committed = 0L
          depth = 0
          maxDepth = maxDepth }

    /// <summary>The default nesting limit of writers and readers.</summary>
    static member DefaultMaxDepth = 64

    /// <summary>Bytes written so far, committed or not.</summary>
    member this.BytesWritten = this.committed + int64 this.pos

    /// <summary>The current nesting depth (see <c>Enter</c>).</summary>
    member this.Depth = this.depth

    /// <summary>The nesting limit.</summary>
    member this.MaxDepth = this.maxDepth

    /// <summary>
    /// Commits the staged bytes to the output. Call it once writing is done (and before
    /// handing the output to anyone else).
    /// </summary>
    member this.Flush() =
        if this.pos > 0 then
            this.output.Advance this.pos
            this.committed <- this.committed + int64 this.pos
        this.span <- Span<byte>.Empty
        this.pos <- 0

    /// <summary>Called by codecs of containers before writing their content; fails beyond <c>MaxDepth</c>.</summary>
    member this.Enter() =
        this.depth <- this.depth + 1
        if this.depth > this.maxDepth then
            this.depth <- this.depth - 1
            raise (MsgPackEncodeException($"nesting deeper than {this.maxDepth} levels (a cyclic object graph?)"))

    /// <summary>Called by codecs of containers after writing their content.</summary>
    member this.Leave() = this.depth <- this.depth - 1

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    member private this.Grow(size: int) =
        if this.pos > 0 then
            this.output.Advance this.pos
            this.committed <- this.committed + int64 this.pos
        this.pos <- 0
        this.span <- this.output.GetSpan size
        if this.span.Length < size then
            raise (InvalidOperationException($"the buffer writer returned {this.span.Length} bytes where {size} were asked for"))

    /// A span of at least `size` free bytes at the write position.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    member private this.Ensure(size: int) : Span<byte> =
        if this.span.Length - this.pos < size then this.Grow size
        this.span.Slice this.pos

    /// <summary>
    /// A span of at least <paramref name="sizeHint"/> free bytes at the write position, for codecs that format
    /// bytes in place; follow it with <c>Advance(count)</c>.
    /// </summary>
    member this.GetSpan(sizeHint: int) : Span<byte> = this.Ensure(max sizeHint 1)

    /// <summary>Marks <paramref name="count"/> bytes of the span from <c>GetSpan</c> as written.</summary>
    member this.Advance(count: int) =
        if count < 0 || count > this.span.Length - this.pos then
            raise (ArgumentOutOfRangeException(nameof count, "count exceeds the span from GetSpan"))
        this.pos <- this.pos + count

    member private this.Byte(b: byte) =
        let s = this.Ensure 1
        s[0] <- b
        this.pos <- this.pos + 1

    member private this.Code8(code: byte, v: byte) =
        let s = this.Ensure 2
        s[0] <- code
        s[1] <- v
        this.pos <- this.pos + 2

    member private this.Code16(code: byte, v: uint16) =
        let s = this.Ensure 3
        s[0] <- code
        BinaryPrimitives.WriteUInt16BigEndian(s.Slice 1, v)
        this.pos <- this.pos + 3

    member private this.Code32(code: byte, v: uint32) =
        let s = this.Ensure 5
        s[0] <- code
        BinaryPrimitives.WriteUInt32BigEndian(s.Slice 1, v)
        this.pos <- this.pos + 5

    member private this.Code64(code: byte, v: uint64) =
        let s = this.Ensure 9
        s[0] <- code
        BinaryPrimitives.WriteUInt64BigEndian(s.Slice 1, v)
        this.pos <- this.pos + 9

    /// <summary>Writes nil.</summary>
    member this.WriteNil() = this.Byte MsgPackCode.Nil

    /// <summary>Writes true or false.</summary>
    member this.WriteBoolean(value: bool) =
        this.Byte(if value then MsgPackCode.True else MsgPackCode.False)

    /// <summary>Writes an unsigned integer in its smallest encoding.</summary>
    member this.WriteUInt64(value: uint64) =
        if value <= 0x7fUL then this.Byte(byte value)
        elif value <= 0xffUL then this.Code8(MsgPackCode.UInt8, byte value)
        elif value <= 0xffffUL then this.Code16(MsgPackCode.UInt16, uint16 value)
        elif value <= 0xffffffffUL then this.Code32(MsgPackCode.UInt32, uint32 value)
        else this.Code64(MsgPackCode.UInt64, value)

    /// <summary>
    /// Writes a signed integer in its smallest encoding (non-negative values use the
    /// unsigned forms, as the specification's reference encoders do).
    /// </summary>
    member this.WriteInt64(value: int64) =
        if value >= 0L then this.WriteUInt64(uint64 value)
        elif value >= -32L then this.Byte(byte value)
        elif value >= -128L then this.Code8(MsgPackCode.Int8, byte value)
        elif value >= -32768L then this.Code16(MsgPackCode.Int16, uint16 value)
        elif value >= -2147483648L then this.Code32(MsgPackCode.Int32, uint32 value)
        else this.Code64(MsgPackCode.Int64, uint64 value)

    /// <summary>Writes an integer in its smallest encoding.</summary>
    member this.WriteInt32(value: int) = this.WriteInt64(int64 value)
    /// <summary>Writes an integer in its smallest encoding.</summary>
    member this.WriteInt16(value: int16) = this.WriteInt64(int64 value)
    /// <summary>Writes an integer in its smallest encoding.</summary>
    member this.WriteSByte(value: sbyte) = this.WriteInt64(int64 value)
    /// <summary>Writes an integer in its smallest encoding.</summary>
    member this.WriteUInt32(value: uint32) = this.WriteUInt64(uint64 value)
    /// <summary>Writes an integer in its smallest encoding.</summary>
    member this.WriteUInt16(value: uint16) = this.WriteUInt64(uint64 value)
    /// <summary>Writes an integer in its smallest encoding.</summary>
    member this.WriteByte(value: byte) = this.WriteUInt64(uint64 value)

    /// <summary>Writes a float32.</summary>
    member this.WriteSingle(value: float32) =
        this.Code32(MsgPackCode.Float32, BitConverter.SingleToUInt32Bits value)

    /// <summary>Writes a float64.</summary>
    member this.WriteDouble(value: float) =
        this.Code64(MsgPackCode.Float64, BitConverter.DoubleToUInt64Bits value)

    /// <summary>
    /// Writes a str header announcing <paramref name="byteLength"/> bytes of UTF-8 (to be written with <c>WriteRaw</c>).
    /// </summary>
    member this.WriteStringHeader(byteLength: int) =
        if byteLength < 0 then raise (ArgumentOutOfRangeException(nameof byteLength))
        elif byteLength <= 31 then this.Byte(MsgPackCode.FixStr ||| byte byteLength)
        elif byteLength <= 0xff then this.Code8(MsgPackCode.Str8, byte byteLength)
        elif byteLength <= 0xffff then this.Code16(MsgPackCode.Str16, uint16 byteLength)
        else this.Code32(MsgPackCode.Str32, uint32 byteLength)

    /// <summary>
    /// Writes a bin header announcing <paramref name="length"/> bytes (to be written with <c>WriteRaw</c>).
    /// </summary>
    member this.WriteBinaryHeader(length: int) =
        if length < 0 then raise (ArgumentOutOfRangeException(nameof length))
        elif length <= 0xff then this.Code8(MsgPackCode.Bin8, byte length)
        elif length <= 0xffff then this.Code16(MsgPackCode.Bin16, uint16 length)
        else this.Code32(MsgPackCode.Bin32, uint32 length)

    /// <summary>Writes an array header; <paramref name="count"/> values must follow.</summary>
    member this.WriteArrayHeader(count: int) =
        if count < 0 then raise (ArgumentOutOfRangeException(nameof count))
        elif count <= 15 then this.Byte(MsgPackCode.FixArray ||| byte count)
        elif count <= 0xffff then this.Code16(MsgPackCode.Array16, uint16 count)
        else this.Code32(MsgPackCode.Array32, uint32 count)

    /// <summary>
    /// Writes a map header; <paramref name="count"/> key/value pairs (2 × count values) must follow.
    /// </summary>
    member this.WriteMapHeader(count: int) =
        if count < 0 then raise (ArgumentOutOfRangeException(nameof count))
        elif count <= 15 then this.Byte(MsgPackCode.FixMap ||| byte count)
        elif count <= 0xffff then this.Code16(MsgPackCode.Map16, uint16 count)
        else this.Code32(MsgPackCode.Map32, uint32 count)

    /// <summary>
    /// Writes an ext header (fixext1/2/4/8/16 where the length allows, else ext8/16/32);
    /// <paramref name="length"/> data bytes must follow (<c>WriteRaw</c>).
    /// </summary>
    member this.WriteExtHeader(typeCode: sbyte, length: int) =
        match length with
        | 1 -> this.Code8(MsgPackCode.FixExt1, byte typeCode)
        | 2 -> this.Code8(MsgPackCode.FixExt2, byte typeCode)
        | 4 -> this.Code8(MsgPackCode.FixExt4, byte typeCode)
        | 8 -> this.Code8(MsgPackCode.FixExt8, byte typeCode)
        | 16 -> this.Code8(MsgPackCode.FixExt16, byte typeCode)
        | _ when length < 0 -> raise (ArgumentOutOfRangeException(nameof length))
        | _ when length <= 0xff ->
            let s = this.Ensure 3
            s[0] <- MsgPackCode.Ext8
            s[1] <- byte length
            s[2] <- byte typeCode
            this.pos <- this.pos + 3
        | _ when length <= 0xffff ->
            let s = this.Ensure 4
            s[0] <- MsgPackCode.Ext16
            BinaryPrimitives.WriteUInt16BigEndian(s.Slice 1, uint16 length)
            s[3] <- byte typeCode
            this.pos <- this.pos + 4
        | _ ->
            let s = this.Ensure 6
            s[0] <- MsgPackCode.Ext32
            BinaryPrimitives.WriteUInt32BigEndian(s.Slice 1, uint32 length)
            s[5] <- byte typeCode
            this.pos <- this.pos + 6

    /// <summary>Copies bytes as they are (pre-encoded MessagePack, or the body after a str/bin/ext header).</summary>
    member this.WriteRaw(bytes: ReadOnlySpan<byte>) =
        let mutable rest = bytes
        while rest.Length > 0 do
            let free = this.span.Length - this.pos
            if free = 0 then
                // Large bodies go in blocks of at most 1 MiB rather than one huge span.
                this.Grow(min rest.Length (1 <<< 20))
            else
                let n = min free rest.Length
                rest.Slice(0, n).CopyTo(this.span.Slice this.pos)
                this.pos <- this.pos + n
                rest <- rest.Slice n

    /// <summary>Copies bytes as they are (see the span overload).</summary>
    member this.WriteRaw(bytes: ReadOnlySequence<byte>) =
        for segment in bytes do
            this.WriteRaw segment.Span

    /// <summary>Writes a bin value.</summary>
    member this.WriteBinary(bytes: ReadOnlySpan<byte>) =
        this.WriteBinaryHeader bytes.Length
        this.WriteRaw bytes

    /// <summary>Writes a str value from bytes that already are UTF-8 (not validated).</summary>
    member this.WriteStringUtf8(utf8: ReadOnlySpan<byte>) =
        this.WriteStringHeader utf8.Length
        this.WriteRaw utf8

    /// <summary>
    /// Writes a str value: the UTF-8 encoding of <paramref name="chars"/> (a lone surrogate becomes U+FFFD).
    /// </summary>
    member this.WriteString(chars: ReadOnlySpan<char>) =
        if AsciiText.isShortAscii chars then
            this.WriteStringHeader chars.Length
            AsciiText.narrow chars (this.Ensure chars.Length)
            this.pos <- this.pos + chars.Length
        elif chars.Length <= 10 then
            // At most 30 bytes: a fixstr whatever the text; encode straight after its header.
            let s = this.Ensure(1 + chars.Length * 3)
            let mutable read = 0
            let mutable written = 0
            Utf8.FromUtf16(chars, s.Slice 1, &read, &written, true, true) |> ignore
            s[0] <- MsgPackCode.FixStr ||| byte written
            this.pos <- this.pos + 1 + written
        else
            let byteCount = Encoding.UTF8.GetByteCount chars
            this.WriteStringHeader byteCount
            if byteCount <= 65536 then
                let s = this.Ensure byteCount
                let mutable read = 0
                let mutable written = 0
                Utf8.FromUtf16(chars, s, &read, &written, true, true) |> ignore
                this.pos <- this.pos + written
            else
                // Long text: encode in blocks (FromUtf16 never splits a character).
                let mutable rest = chars
                while rest.Length > 0 do
                    let s = this.Ensure(min (rest.Length * 3) 65536)
                    let mutable read = 0
                    let mutable written = 0
                    Utf8.FromUtf16(rest, s, &read, &written, true, true) |> ignore
                    this.pos <- this.pos + written
                    rest <- rest.Slice read

    /// <summary>Writes a str value, or nil for a null string.</summary>
    member this.WriteString(value: string) =
        if isNull value then this.WriteNil() else this.WriteString(value.AsSpan())

    /// <summary>Writes an ext value.</summary>
    member this.WriteExt(typeCode: sbyte, data: ReadOnlySpan<byte>) =
        this.WriteExtHeader(typeCode, data.Length)
        this.WriteRaw data

    /// <summary>
    /// Writes a timestamp extension (type -1) in its smallest form: 32-bit (whole seconds in
    /// 0..2^32-1), 64-bit (seconds in 0..2^34-1) or 96-bit.
    /// </summary>
    member this.WriteTimestamp(value: MsgPackTimestamp) =
        let seconds = value.Seconds
        let nanos = value.Nanoseconds
        if seconds >>> 34 = 0L then
            if nanos = 0u && seconds >>> 32 = 0L then
                let s = this.Ensure 6
                s[0] <- MsgPackCode.FixExt4
                s[1] <- byte MsgPackCode.TimestampExt
                BinaryPrimitives.WriteUInt32BigEndian(s.Slice 2, uint32 seconds)
                this.pos <- this.pos + 6
            else
                let s = this.Ensure 10
                s[0] <- MsgPackCode.FixExt8
                s[1] <- byte MsgPackCode.TimestampExt
                BinaryPrimitives.WriteUInt64BigEndian(s.Slice 2, (uint64 nanos <<< 34) ||| uint64 seconds)
                this.pos <- this.pos + 10
        else
            let s = this.Ensure 15
            s[0] <- MsgPackCode.Ext8
            s[1] <- 12uy
            s[2] <- byte MsgPackCode.TimestampExt
            BinaryPrimitives.WriteUInt32BigEndian(s.Slice 3, nanos)
            BinaryPrimitives.WriteInt64BigEndian(s.Slice 7, seconds)
            this.pos <- this.pos + 15

    /// <summary>
    /// Writes a <c>DateTime</c> as a timestamp extension (see <c>MsgPackTimestamp.FromDateTime</c>).
    /// </summary>
    member this.WriteDateTime(value: DateTime) =
        this.WriteTimestamp(MsgPackTimestamp.FromDateTime value)
