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
    /// Writes one item at the end of `output` (the stream's own buffers: a codec may write into
    /// its free space directly).
    abstract WriteTo: output: TractorNet.Ipc.BatchBuffer * value: 'T -> unit
    default this.WriteTo(output, value) = this.Write(output, value)
    /// Reads one item, which must span `input`.
    abstract Read: input: ReadOnlyMemory<byte> -> 'T
    /// True for our own codecs, which may encode straight into a channel's send queue under its
    /// lock; a user's serializer encodes outside it.
    abstract InPlace: bool
    default _.InPlace = false
    /// Reads the first `count` items of a checked run (`ItemRun`: bins back to back) into
    /// `into`, from index 0; returns how many it read, sets `used` to the bytes they took and
    /// `failure` to what stopped it (an item that does not decode). -1: not supported, read the
    /// items one by one.
    abstract ReadRun: run: ReadOnlyMemory<byte> * count: int * into: 'T[] * used: byref<int> * failure: byref<exn> -> int
    default _.ReadRun(_, _, _, _, _) = -1

/// The MessagePack fast path: the resolver's cached `MsgPackCodec<'T>`.
[<Sealed>]
type internal MsgPackItemCodec<'T>(codec: MsgPackCodec<'T>, maxDepth: int) =
    inherit ItemCodec<'T>()

    override _.InPlace = true

    override _.Write(output, value) =
        let mutable writer = MsgPackWriter(output, maxDepth)
        codec.Write(&writer, value)
        writer.Flush()

    // The writer starts on the buffer's free space: no call to ask for room per item.
    override _.WriteTo(output, value) =
        let mutable writer = MsgPackWriter(output, maxDepth, output.Free)
        codec.Write(&writer, value)
        writer.Flush()

    override _.Read(input) =
        let mutable reader = MsgPackReader(input, maxDepth)
        let value = codec.Read(&reader)

        if not reader.End then
            raise (MsgPackDecodeException($"{reader.Remaining} bytes left over after the item", reader.Consumed))

        value

    // One reader walks the whole run: no reader to set up per item.
    override _.ReadRun(run, count, into, used, failure) =
        let mutable reader = MsgPackReader(run, maxDepth)
        let mutable n = 0

        try
            while n < count do
                let length = reader.ReadBinaryHeader()
                let start = reader.Consumed
                let value = codec.Read(&reader)
                let took = reader.Consumed - start

                if took <> int64 length then
                    raise (MsgPackDecodeException($"{int64 length - took} bytes left over after the item", reader.Consumed))

                into[n] <- value
                n <- n + 1
                used <- int reader.Consumed
        with e ->
            failure <- e

        n

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
