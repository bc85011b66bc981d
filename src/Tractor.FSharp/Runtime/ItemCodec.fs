namespace TractorNet.Runtime

open System
open System.Buffers
open TractorNet.Wire

/// Encodes and decodes the items of one stream, straight between values and frame bytes: the
/// typed codec is looked up once per stream, never per item, and nothing goes through `obj`.
[<AbstractClass>]
type internal ItemCodec<'T>() =
    /// Writes one item.
    abstract Write: output: IBufferWriter<byte> * value: 'T -> unit
    /// Reads one item, which must span `input`.
    abstract Read: input: ReadOnlyMemory<byte> -> 'T
    /// True for our own codecs, which may encode straight into a channel's send queue under its
    /// lock; a user's serializer encodes outside it.
    abstract InPlace: bool
    default _.InPlace = false

/// The MessagePack fast path: the resolver's cached `MsgPackCodec<'T>`.
[<Sealed>]
type internal MsgPackItemCodec<'T>(codec: MsgPackCodec<'T>, maxDepth: int) =
    inherit ItemCodec<'T>()

    override _.InPlace = true

    override _.Write(output, value) =
        let mutable writer = MsgPackWriter(output, maxDepth)
        codec.Write(&writer, value)
        writer.Flush()

    override _.Read(input) =
        let mutable reader = MsgPackReader(input, maxDepth)
        let value = codec.Read(&reader)

        if not reader.End then
            raise (MsgPackDecodeException($"{reader.Remaining} bytes left over after the item", reader.Consumed))

        value

/// Any other serializer, through its generic entry points.
[<Sealed>]
type internal SerializerItemCodec<'T>(serializer: IWireSerializer) =
    inherit ItemCodec<'T>()
    override _.Write(output, value) = serializer.Serialize<'T>(output, value)
    override _.Read(input) = serializer.Deserialize<'T>(ReadOnlySequence input)

module internal ItemCodecs =
    /// The item codec of `'T` for `serializer`; fails here (naming the offending member) when
    /// `'T` cannot be serialised.
    let create<'T> (serializer: IWireSerializer) : ItemCodec<'T> =
        match serializer with
        | :? MsgPackSerializer as s -> MsgPackItemCodec<'T>(s.Resolver.GetCodec<'T>(), s.MaxDepth)
        | s ->
            s.Validate typeof<'T>
            SerializerItemCodec<'T>(s)
