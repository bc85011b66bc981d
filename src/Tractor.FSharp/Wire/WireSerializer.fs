namespace TractorNet.Wire

open System
open System.Buffers

/// <summary>
/// The pluggable message serializer: turns values into bytes and back. Tractor uses
/// <c>MsgPackSerializer.Default</c> unless told otherwise; implement this to swap the format.
/// </summary>
type IWireSerializer =
    /// <summary>Writes one value of <c>'T</c> to <paramref name="output"/>.</summary>
    abstract Serialize<'T> : output: IBufferWriter<byte> * value: 'T -> unit
    /// <summary>Reads one value of <c>'T</c>, which must span the whole input.</summary>
    abstract Deserialize<'T> : input: ReadOnlySequence<byte> -> 'T
    /// <summary>Writes one value whose type is only known at run time.</summary>
    abstract Serialize: output: IBufferWriter<byte> * valueType: Type * value: obj -> unit
    /// <summary>Reads one value whose type is only known at run time.</summary>
    abstract Deserialize: input: ReadOnlySequence<byte> * valueType: Type -> obj
    /// <summary>
    /// Throws (naming the offending member) unless values of <paramref name="valueType"/> can be serialised.
    /// </summary>
    abstract Validate: valueType: Type -> unit

/// <summary>
/// The default <see cref="T:TractorNet.Wire.IWireSerializer"/>: MessagePack through the codecs of a <see cref="T:TractorNet.Wire.MsgPackCodecResolver"/>.
/// Reading fails with <see cref="T:TractorNet.Wire.MsgPackDecodeException"/> on bad input (including bytes left over after the
/// value); nesting is limited to <c>MaxDepth</c> both ways.
/// </summary>
[<Sealed>]
type MsgPackSerializer(resolver: MsgPackCodecResolver, maxDepth: int) =
    static let defaultSerializer = MsgPackSerializer(MsgPackCodecResolver.Default, MsgPackWriter.DefaultMaxDepth)

    do
        if isNull resolver then nullArg (nameof resolver)
        if maxDepth < 1 then raise (ArgumentOutOfRangeException(nameof maxDepth))

    /// <summary>A serializer over <paramref name="resolver"/>, with the default nesting limit (64).</summary>
    new(resolver: MsgPackCodecResolver) = MsgPackSerializer(resolver, MsgPackWriter.DefaultMaxDepth)

    /// <summary>A serializer with its own resolver (so its registrations stay private to it).</summary>
    new() = MsgPackSerializer(MsgPackCodecResolver(), MsgPackWriter.DefaultMaxDepth)

    /// <summary>The shared serializer over <c>MsgPackCodecResolver.Default</c>.</summary>
    static member Default = defaultSerializer

    /// <summary>Where codecs come from (register custom codecs here).</summary>
    member _.Resolver = resolver

    /// <summary>The nesting limit of values written and read.</summary>
    member _.MaxDepth = maxDepth

    static member private CheckEnd(reader: byref<MsgPackReader>) =
        if not reader.End then
            raise (MsgPackDecodeException($"{reader.Remaining} bytes left over after the value", reader.Consumed))

    /// <summary>Writes one value of <c>'T</c> to <paramref name="output"/>.</summary>
    member _.Serialize<'T>(output: IBufferWriter<byte>, value: 'T) =
        let codec = resolver.GetCodec<'T>()
        let mutable writer = MsgPackWriter(output, maxDepth)
        codec.Write(&writer, value)
        writer.Flush()

    /// <summary>Writes one value of <c>'T</c> into a new array.</summary>
    member this.SerializeToArray<'T>(value: 'T) : byte array =
        let buffer = ArrayBufferWriter<byte>()
        this.Serialize(buffer, value)
        buffer.WrittenSpan.ToArray()

    /// <summary>Reads one value of <c>'T</c>, which must span the whole input.</summary>
    member _.Deserialize<'T>(input: ReadOnlySequence<byte>) : 'T =
        let codec = resolver.GetCodec<'T>()
        let mutable reader = MsgPackReader(input, maxDepth)
        let value = codec.Read(&reader)
        MsgPackSerializer.CheckEnd(&reader)
        value

    /// <summary>Reads one value of <c>'T</c>, which must span the whole input.</summary>
    member this.Deserialize<'T>(input: ReadOnlyMemory<byte>) : 'T = this.Deserialize<'T>(ReadOnlySequence input)

    /// <summary>Reads one value of <c>'T</c>, which must span the whole input.</summary>
    member this.Deserialize<'T>(input: byte array) : 'T = this.Deserialize<'T>(ReadOnlySequence input)

    /// <summary>Writes one value whose type is only known at run time.</summary>
    member _.Serialize(output: IBufferWriter<byte>, valueType: Type, value: obj) =
        let codec = resolver.GetCodec valueType
        let mutable writer = MsgPackWriter(output, maxDepth)
        codec.WriteObject(&writer, value)
        writer.Flush()

    /// <summary>Reads one value whose type is only known at run time.</summary>
    member _.Deserialize(input: ReadOnlySequence<byte>, valueType: Type) : obj =
        let codec = resolver.GetCodec valueType
        let mutable reader = MsgPackReader(input, maxDepth)
        let value = codec.ReadObject(&reader)
        MsgPackSerializer.CheckEnd(&reader)
        value

    /// <summary>
    /// Throws <see cref="T:TractorNet.Wire.UnserializableTypeException"/> unless values of <paramref name="valueType"/> can be serialised.
    /// </summary>
    member _.Validate(valueType: Type) = resolver.Validate valueType

    interface IWireSerializer with
        member this.Serialize<'T>(output, value: 'T) = this.Serialize<'T>(output, value)
        member this.Deserialize<'T>(input: ReadOnlySequence<byte>) : 'T = this.Deserialize<'T>(input)
        member this.Serialize(output, valueType, value) = this.Serialize(output, valueType, value)
        member this.Deserialize(input: ReadOnlySequence<byte>, valueType: Type) : obj = this.Deserialize(input, valueType)
        member this.Validate(valueType) = this.Validate valueType

/// <summary>F# shortcuts over <c>MsgPackSerializer.Default</c>.</summary>
[<RequireQualifiedAccess>]
module MsgPack =
    /// <summary>The MessagePack bytes of a value.</summary>
    let serialize<'T> (value: 'T) : byte array = MsgPackSerializer.Default.SerializeToArray value

    /// <summary>The value of MessagePack bytes (which must hold exactly one value).</summary>
    let deserialize<'T> (bytes: byte array) : 'T = MsgPackSerializer.Default.Deserialize<'T>(bytes)
