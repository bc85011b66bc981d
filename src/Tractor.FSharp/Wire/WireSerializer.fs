namespace TractorNet.Wire

open System
open System.Buffers

/// The pluggable message serializer: turns values into bytes and back. Tractor uses
/// `MsgPackSerializer.Default` unless told otherwise; implement this to swap the format.
type IWireSerializer =
    /// Writes one value of `'T` to `output`.
    abstract Serialize<'T> : output: IBufferWriter<byte> * value: 'T -> unit
    /// Reads one value of `'T`, which must span the whole input.
    abstract Deserialize<'T> : input: ReadOnlySequence<byte> -> 'T
    /// Writes one value whose type is only known at run time.
    abstract Serialize: output: IBufferWriter<byte> * valueType: Type * value: obj -> unit
    /// Reads one value whose type is only known at run time.
    abstract Deserialize: input: ReadOnlySequence<byte> * valueType: Type -> obj
    /// Throws (naming the offending member) unless values of `valueType` can be serialised.
    abstract Validate: valueType: Type -> unit

/// The default `IWireSerializer`: MessagePack through the codecs of a `MsgPackCodecResolver`.
/// Reading fails with `MsgPackDecodeException` on bad input (including bytes left over after the
/// value); nesting is limited to `MaxDepth` both ways.
[<Sealed>]
type MsgPackSerializer(resolver: MsgPackCodecResolver, maxDepth: int) =
    static let defaultSerializer = MsgPackSerializer(MsgPackCodecResolver.Default, MsgPackWriter.DefaultMaxDepth)

    do
        if isNull resolver then nullArg (nameof resolver)
        if maxDepth < 1 then raise (ArgumentOutOfRangeException(nameof maxDepth))

    /// A serializer over `resolver`, with the default nesting limit (64).
    new(resolver: MsgPackCodecResolver) = MsgPackSerializer(resolver, MsgPackWriter.DefaultMaxDepth)

    /// A serializer with its own resolver (so its registrations stay private to it).
    new() = MsgPackSerializer(MsgPackCodecResolver(), MsgPackWriter.DefaultMaxDepth)

    /// The shared serializer over `MsgPackCodecResolver.Default`.
    static member Default = defaultSerializer

    /// Where codecs come from (register custom codecs here).
    member _.Resolver = resolver

    /// The nesting limit of values written and read.
    member _.MaxDepth = maxDepth

    static member private CheckEnd(reader: byref<MsgPackReader>) =
        if not reader.End then
            raise (MsgPackDecodeException($"{reader.Remaining} bytes left over after the value", reader.Consumed))

    /// Writes one value of `'T` to `output`.
    member _.Serialize<'T>(output: IBufferWriter<byte>, value: 'T) =
        let codec = resolver.GetCodec<'T>()
        let mutable writer = MsgPackWriter(output, maxDepth)
        codec.Write(&writer, value)
        writer.Flush()

    /// Writes one value of `'T` into a new array.
    member this.SerializeToArray<'T>(value: 'T) : byte array =
        let buffer = ArrayBufferWriter<byte>()
        this.Serialize(buffer, value)
        buffer.WrittenSpan.ToArray()

    /// Reads one value of `'T`, which must span the whole input.
    member _.Deserialize<'T>(input: ReadOnlySequence<byte>) : 'T =
        let codec = resolver.GetCodec<'T>()
        let mutable reader = MsgPackReader(input, maxDepth)
        let value = codec.Read(&reader)
        MsgPackSerializer.CheckEnd(&reader)
        value

    /// Reads one value of `'T`, which must span the whole input.
    member this.Deserialize<'T>(input: ReadOnlyMemory<byte>) : 'T = this.Deserialize<'T>(ReadOnlySequence input)

    /// Reads one value of `'T`, which must span the whole input.
    member this.Deserialize<'T>(input: byte array) : 'T = this.Deserialize<'T>(ReadOnlySequence input)

    /// Writes one value whose type is only known at run time.
    member _.Serialize(output: IBufferWriter<byte>, valueType: Type, value: obj) =
        let codec = resolver.GetCodec valueType
        let mutable writer = MsgPackWriter(output, maxDepth)
        codec.WriteObject(&writer, value)
        writer.Flush()

    /// Reads one value whose type is only known at run time.
    member _.Deserialize(input: ReadOnlySequence<byte>, valueType: Type) : obj =
        let codec = resolver.GetCodec valueType
        let mutable reader = MsgPackReader(input, maxDepth)
        let value = codec.ReadObject(&reader)
        MsgPackSerializer.CheckEnd(&reader)
        value

    /// Throws `UnserializableTypeException` unless values of `valueType` can be serialised.
    member _.Validate(valueType: Type) = resolver.Validate valueType

    interface IWireSerializer with
        member this.Serialize<'T>(output, value: 'T) = this.Serialize<'T>(output, value)
        member this.Deserialize<'T>(input: ReadOnlySequence<byte>) : 'T = this.Deserialize<'T>(input)
        member this.Serialize(output, valueType, value) = this.Serialize(output, valueType, value)
        member this.Deserialize(input: ReadOnlySequence<byte>, valueType: Type) : obj = this.Deserialize(input, valueType)
        member this.Validate(valueType) = this.Validate valueType

/// F# shortcuts over `MsgPackSerializer.Default`.
[<RequireQualifiedAccess>]
module MsgPack =
    /// The MessagePack bytes of a value.
    let serialize<'T> (value: 'T) : byte array = MsgPackSerializer.Default.SerializeToArray value

    /// The value of MessagePack bytes (which must hold exactly one value).
    let deserialize<'T> (bytes: byte array) : 'T = MsgPackSerializer.Default.Deserialize<'T>(bytes)
