namespace TractorNet.Wire

open System
open System.Globalization
open System.Reflection

/// A codec that is exactly one writer method and one reader method: compiled object codecs call
/// those directly instead of going through the codec (one virtual call less per field).
type internal IDirectCodec =
    abstract WriteMethod: MethodInfo
    abstract ReadMethod: MethodInfo

/// A built-in codec mapping a primitive onto one writer and one reader method.
[<AbstractClass>]
type internal DirectCodec<'T>(writeName: string, readName: string) =
    inherit MsgPackCodec<'T>()
    // Looked up when an expression-built codec first needs them, not when the codec is made: a
    // new actor encoding its first `int` should not pay reflection over every primitive.
    let mutable writeMethod: MethodInfo = null
    let mutable readMethod: MethodInfo = null
    override _.CanWriteNil = false

    interface IDirectCodec with
        member _.WriteMethod =
            if isNull writeMethod then
                let writerType = typeof<MsgPackCodec<'T>>.GetMethod("Write").GetParameters().[0].ParameterType.GetElementType()
                writeMethod <- writerType.GetMethod(writeName, [| typeof<'T> |])
            writeMethod

        member _.ReadMethod =
            if isNull readMethod then
                let readerType = typeof<MsgPackCodec<'T>>.GetMethod("Read").GetParameters().[0].ParameterType.GetElementType()
                readMethod <- readerType.GetMethod(readName, Type.EmptyTypes)
            readMethod

type internal BooleanCodec() =
    inherit DirectCodec<bool>("WriteBoolean", "ReadBoolean")
    override _.Write(w, v) = w.WriteBoolean v
    override _.Read(r) = r.ReadBoolean()

type internal SByteCodec() =
    inherit DirectCodec<sbyte>("WriteSByte", "ReadSByte")
    override _.Write(w, v) = w.WriteSByte v
    override _.Read(r) = r.ReadSByte()

type internal ByteCodec() =
    inherit DirectCodec<byte>("WriteByte", "ReadByte")
    override _.Write(w, v) = w.WriteByte v
    override _.Read(r) = r.ReadByte()

type internal Int16Codec() =
    inherit DirectCodec<int16>("WriteInt16", "ReadInt16")
    override _.Write(w, v) = w.WriteInt16 v
    override _.Read(r) = r.ReadInt16()

type internal UInt16Codec() =
    inherit DirectCodec<uint16>("WriteUInt16", "ReadUInt16")
    override _.Write(w, v) = w.WriteUInt16 v
    override _.Read(r) = r.ReadUInt16()

type internal Int32Codec() =
    inherit DirectCodec<int>("WriteInt32", "ReadInt32")
    override _.Write(w, v) = w.WriteInt32 v
    override _.Read(r) = r.ReadInt32()

type internal UInt32Codec() =
    inherit DirectCodec<uint32>("WriteUInt32", "ReadUInt32")
    override _.Write(w, v) = w.WriteUInt32 v
    override _.Read(r) = r.ReadUInt32()

type internal Int64Codec() =
    inherit DirectCodec<int64>("WriteInt64", "ReadInt64")
    override _.Write(w, v) = w.WriteInt64 v
    override _.Read(r) = r.ReadInt64()

type internal UInt64Codec() =
    inherit DirectCodec<uint64>("WriteUInt64", "ReadUInt64")
    override _.Write(w, v) = w.WriteUInt64 v
    override _.Read(r) = r.ReadUInt64()

type internal SingleCodec() =
    inherit DirectCodec<float32>("WriteSingle", "ReadSingle")
    override _.Write(w, v) = w.WriteSingle v
    override _.Read(r) = r.ReadSingle()

type internal DoubleCodec() =
    inherit DirectCodec<float>("WriteDouble", "ReadDouble")
    override _.Write(w, v) = w.WriteDouble v
    override _.Read(r) = r.ReadDouble()

/// A UTF-16 code unit, as an integer (a lone surrogate has no UTF-8 form).
type internal CharCodec() =
    inherit MsgPackCodec<char>()
    override _.CanWriteNil = false
    override _.Write(w, v) = w.WriteUInt16(uint16 v)
    override _.Read(r) = char (r.ReadUInt16())

/// str; null is nil.
type internal StringCodec() =
    inherit DirectCodec<string>("WriteString", "ReadStringOrNull")
    override _.CanWriteNil = true
    override _.Write(w, v) = w.WriteString v
    override _.Read(r) = r.ReadStringOrNull()

/// bin; null is nil.
type internal ByteArrayCodec() =
    inherit MsgPackCodec<byte array>()

    override _.Write(w, v) =
        if isNull v then w.WriteNil() else w.WriteBinary(ReadOnlySpan v)

    override _.Read(r) = if r.TryReadNil() then null else r.ReadByteArray()

/// nil, for `unit` (generic because F# cannot override a `'T`-returning method with unit).
type internal NilCodec<'T>() =
    inherit MsgPackCodec<'T>()
    override _.Write(w, _) = w.WriteNil()

    override _.Read(r) =
        r.ReadNil()
        Unchecked.defaultof<'T>

/// The invariant decimal text as str: exact, and readable by any peer.
type internal DecimalCodec() =
    inherit MsgPackCodec<decimal>()
    override _.CanWriteNil = false
    override _.Write(w, v) = w.WriteString(v.ToString(CultureInfo.InvariantCulture))

    override _.Read(r) =
        let start = r.Consumed
        let text = r.ReadString()
        match Decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture) with
        | true, d -> d
        | _ -> raise (MsgPackDecodeException($"invalid decimal \"{text}\"", start))

/// bin of 16 bytes in RFC 4122 (big-endian) order, as python's `uuid.UUID(bytes=...)` reads it.
type internal GuidCodec() =
    inherit MsgPackCodec<Guid>()
    override _.CanWriteNil = false

    override _.Write(w, v) =
        w.WriteBinaryHeader 16
        let span = w.GetSpan 16
        v.TryWriteBytes(span, true) |> ignore
        w.Advance 16

    override _.Read(r) =
        let start = r.Consumed
        let bytes = r.ReadBytes()
        if bytes.Length <> 16L then
            raise (MsgPackDecodeException($"a Guid needs 16 bytes, found {bytes.Length}", start))
        if bytes.IsSingleSegment then Guid(bytes.FirstSpan, true)
        else Guid(ReadOnlySpan(System.Buffers.BuffersExtensions.ToArray &bytes), true)

/// The timestamp extension (UTC instant; a Local value is converted, an Unspecified one is
/// taken as UTC); read back as Kind=Utc.
type internal DateTimeCodec() =
    inherit MsgPackCodec<DateTime>()
    override _.CanWriteNil = false
    override _.Write(w, v) = w.WriteDateTime v
    override _.Read(r) = r.ReadDateTime()

/// [timestamp of the UTC instant, offset in minutes].
type internal DateTimeOffsetCodec() =
    inherit MsgPackCodec<DateTimeOffset>()
    override _.CanWriteNil = false

    override _.Write(w, v) =
        w.WriteArrayHeader 2
        w.WriteDateTime v.UtcDateTime
        w.WriteInt32(int v.Offset.TotalMinutes)

    override _.Read(r) =
        let start = r.Consumed
        let n = r.ReadArrayHeader()
        if n <> 2 then
            raise (MsgPackDecodeException($"a DateTimeOffset is [timestamp, offset minutes], found an array of {n}", start))
        let utc = r.ReadDateTime()
        let minutes = r.ReadInt32()
        if abs minutes > 14 * 60 then
            raise (MsgPackDecodeException($"invalid DateTimeOffset offset {minutes} minutes", start))
        let offset = TimeSpan.FromMinutes(float minutes)
        let local = utc.Ticks + offset.Ticks
        if local < DateTime.MinValue.Ticks || local > DateTime.MaxValue.Ticks then
            raise (MsgPackDecodeException("DateTimeOffset out of range", start))
        DateTimeOffset(utc).ToOffset offset

/// Ticks (100 ns) as an integer.
type internal TimeSpanCodec() =
    inherit MsgPackCodec<TimeSpan>()
    override _.CanWriteNil = false
    override _.Write(w, v) = w.WriteInt64 v.Ticks
    override _.Read(r) = TimeSpan(r.ReadInt64())

/// The built-in codecs of primitive types, made on demand (a new actor encoding its first `int`
/// builds one codec, not every primitive's; the resolver caches what it gets).
module internal PrimitiveCodecs =
    /// The built-in codec of `t`, or null when `t` is not a primitive.
    let tryCreate (t: Type) : IMsgPackCodec =
        if t = typeof<int> then Int32Codec()
        elif t = typeof<string> then StringCodec()
        elif t = typeof<int64> then Int64Codec()
        elif t = typeof<bool> then BooleanCodec()
        elif t = typeof<float> then DoubleCodec()
        elif t = typeof<byte[]> then ByteArrayCodec()
        elif t = typeof<unit> then NilCodec<unit>()
        elif t = typeof<sbyte> then SByteCodec()
        elif t = typeof<byte> then ByteCodec()
        elif t = typeof<int16> then Int16Codec()
        elif t = typeof<uint16> then UInt16Codec()
        elif t = typeof<uint32> then UInt32Codec()
        elif t = typeof<uint64> then UInt64Codec()
        elif t = typeof<float32> then SingleCodec()
        elif t = typeof<char> then CharCodec()
        elif t = typeof<decimal> then DecimalCodec()
        elif t = typeof<Guid> then GuidCodec()
        elif t = typeof<DateTime> then DateTimeCodec()
        elif t = typeof<DateTimeOffset> then DateTimeOffsetCodec()
        elif t = typeof<TimeSpan> then TimeSpanCodec()
        else null
