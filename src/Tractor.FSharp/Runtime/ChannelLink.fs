namespace TractorNet.Runtime

open System
open System.Buffers
open System.Buffers.Binary
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc
open TractorNet.Wire

/// Stream items on the wire: `Yield(key, item)` is `[tag, key, bin(item)]`, the union codec's
/// form, written and read here without building the `Message` (docs/protocol.md §4.3).
module internal YieldFrames =
    /// The `Yield` case's tag (its declaration index).
    let tag = MessageCodec.YieldTag

    let private fixArray3 = 0x93uy

    /// Writes `v` in its smallest MessagePack encoding (as `MsgPackWriter.WriteInt64` does);
    /// returns the bytes written (at most 9).
    let private writeInt (span: Span<byte>) (v: int64) : int =
        if v >= 0L && v <= 0x7fL then
            span[0] <- byte v
            1
        elif v >= 0L then
            if v <= 0xffL then
                span[0] <- 0xccuy
                span[1] <- byte v
                2
            elif v <= 0xffffL then
                span[0] <- 0xcduy
                BinaryPrimitives.WriteUInt16BigEndian(span.Slice 1, uint16 v)
                3
            elif v <= 0xffffffffL then
                span[0] <- 0xceuy
                BinaryPrimitives.WriteUInt32BigEndian(span.Slice 1, uint32 v)
                5
            else
                span[0] <- 0xcfuy
                BinaryPrimitives.WriteUInt64BigEndian(span.Slice 1, uint64 v)
                9
        elif v >= -32L then
            span[0] <- byte v
            1
        elif v >= -128L then
            span[0] <- 0xd0uy
            span[1] <- byte v
            2
        elif v >= -32768L then
            span[0] <- 0xd1uy
            BinaryPrimitives.WriteInt16BigEndian(span.Slice 1, int16 v)
            3
        elif v >= -2147483648L then
            span[0] <- 0xd2uy
            BinaryPrimitives.WriteInt32BigEndian(span.Slice 1, int32 v)
            5
        else
            span[0] <- 0xd3uy
            BinaryPrimitives.WriteInt64BigEndian(span.Slice 1, v)
            9

    /// Writes the frame of one item whose encoded bytes are `item`: the bytes `MsgPackWriter`
    /// would write, in one span (this runs once per item, under the channel's send lock).
    let encode =
        Action<IBufferWriter<byte>, struct (int64 * ReadOnlyMemory<byte>)>(fun w (struct (key, item)) ->
            let n = item.Length
            let span = w.GetSpan(2 + 9 + 5 + n)
            span[0] <- fixArray3
            let mutable pos = 1 + writeInt (span.Slice 1) (int64 tag)
            pos <- pos + writeInt (span.Slice pos) key

            if n <= 0xff then
                span[pos] <- 0xc4uy
                span[pos + 1] <- byte n
                pos <- pos + 2
            elif n <= 0xffff then
                span[pos] <- 0xc5uy
                BinaryPrimitives.WriteUInt16BigEndian(span.Slice(pos + 1), uint16 n)
                pos <- pos + 3
            else
                span[pos] <- 0xc6uy
                BinaryPrimitives.WriteUInt32BigEndian(span.Slice(pos + 1), uint32 n)
                pos <- pos + 5

            item.Span.CopyTo(span.Slice pos)
            w.Advance(pos + n))

    /// Unpacks an item frame in place; false if `frame` is not one (it then goes through the
    /// union codec, which reports what is wrong with it).
    let tryParse (frame: ReadOnlyMemory<byte>, key: byref<int64>, item: byref<ReadOnlyMemory<byte>>) : bool =
        let span = frame.Span

        if span.Length < 4 || span[0] <> fixArray3 || int span[1] <> tag then
            false
        else
            try
                let mutable reader = MsgPackReader(frame, 4)
                reader.ReadArrayHeader() |> ignore
                reader.ReadInt32() |> ignore
                key <- reader.ReadInt64()
                let length = reader.ReadBinaryHeader()
                let start = int reader.Consumed

                if start + length <> frame.Length then
                    false
                else
                    item <- frame.Slice(start, length)
                    true
            with :? MsgPackDecodeException ->
                false

    // ---- batch frames: Yields(key, items) ----

    /// The `Yields` case's tag.
    let batchTag = MessageCodec.YieldsTag

    /// Opens a batch frame: `[tag, key, array32 count` (the count patched by the channel as
    /// items join; array32 keeps its size whatever the count). Returns the count's offset.
    let startBatch =
        TractorNet.Ipc.BatchFrameStart(fun buffer key ->
            buffer.Ensure(2 + 9 + 5)
            let span = buffer.Tail(2 + 9 + 5)
            span[0] <- fixArray3
            span[1] <- byte batchTag
            let mutable pos = 2 + writeInt (span.Slice 2) key
            span[pos] <- 0xdduy
            pos <- pos + 1
            buffer.Advance(pos + 4)
            pos)

    /// Unpacks the items of an item frame (`Yield` or `Yields`) in place: the key, the run of
    /// bins and their count. False if `frame` is neither, or not well formed (it then goes
    /// through the union codec, which reports what is wrong with it).
    let tryParseRun (frame: ReadOnlyMemory<byte>, key: byref<int64>, run: byref<ReadOnlyMemory<byte>>, count: byref<int>, extra: byref<int>) : bool =
        let span = frame.Span

        if span.Length < 4 || span[0] <> fixArray3 || (int span[1] <> tag && int span[1] <> batchTag) then
            false
        else
            try
                let mutable reader = MsgPackReader(frame, 4)
                reader.ReadArrayHeader() |> ignore
                let batched = reader.ReadInt32() = batchTag
                key <- reader.ReadInt64()
                count <- if batched then reader.ReadArrayHeader() else 1
                run <- frame.Slice(int reader.Consumed)
                ItemRun.tryMeasure (run.Span, count, &extra)
            with :? MsgPackDecodeException ->
                false

/// An `IMessageLink` over an authenticated IPC channel: each frame is one MessagePack-encoded
/// `Message` (the hand-written `MessageCodec`); `serializer` encodes stream items.
type internal ChannelLink(channel: Channel, serializer: IWireSerializer) =
    static let encode = Action<IBufferWriter<byte>, Message>(fun w m -> MessageCodec.serialize w m)

    /// Copies items already written as bins.
    static member val private copyItems =
        Action<BatchBuffer, ReadOnlyMemory<byte>>(fun buffer items ->
            buffer.Ensure items.Length
            items.Span.CopyTo(buffer.Tail items.Length)
            buffer.Advance items.Length)

    /// Per-thread buffer an item is encoded into before it is framed (its length goes first).
    [<ThreadStatic; DefaultValue>]
    static val mutable private scratch: ArrayBufferWriter<byte>

    let remote =
        let p = channel.Peer
        { Name = p.Name; Uid = p.Uid }

    let decodeCurrent () =
        MessageCodec.deserialize (ReadOnlySequence channel.Current)

    let incomingCurrent () : Incoming =
        let frame = channel.Current
        let mutable key = 0L
        let mutable run = ReadOnlyMemory<byte>.Empty
        let mutable count = 0
        let mutable extra = 0

        if YieldFrames.tryParseRun (frame, &key, &run, &count, &extra) then
            { Message = Unchecked.defaultof<_>; Key = key; Items = run; Count = count; Extra = extra }
        else
            { Message = decodeCurrent (); Key = 0L; Items = ReadOnlyMemory<byte>.Empty; Count = 0; Extra = 0 }

    /// The IPC channel underneath.
    member _.Channel = channel

    interface IMessageLink with
        member _.Remote = remote
        member _.Send(msg) = channel.SendAsync(msg, encode)
        member _.SendNow(msg) = channel.SendNowAsync(msg, encode)
        member _.HasBuffered = channel.HasBuffered
        member _.SendSoon(msg) = channel.SendSoonAsync(msg, encode)

        member _.Receive(_ct) =
            let vt = channel.ReceiveAsync()

            if vt.IsCompletedSuccessfully then
                ValueTask<_>(if vt.Result then ValueSome(decodeCurrent ()) else ValueNone)
            else
                let slow: Task<Message voption> =
                    task {
                        let! more = vt
                        return (if more then ValueSome(decodeCurrent ()) else ValueNone)
                    }

                ValueTask<Message voption>(slow)

        // The channel's own wait (no allocation per wait); the frame is read where it lies.
        member _.ReceiveNext() = channel.ReceiveAsync()
        member _.Current = incomingCurrent ()

        member _.SendItem<'T>(key: int64, codec: ItemCodec<'T>, value: 'T, soon: bool) =
            if codec.InPlace then
                // Our MessagePack codecs: encoded straight into the batch frame.
                channel.SendItemAsync(key, struct (codec, value), YieldFrames.startBatch, ItemWriters<'T>.Value, soon)
            else
                // A user's serializer runs outside the channel's lock, into a scratch buffer.
                let mutable buffer = ChannelLink.scratch

                if isNull buffer then
                    buffer <- ArrayBufferWriter<byte>(256)
                    ChannelLink.scratch <- buffer

                buffer.ResetWrittenCount()
                codec.Write(buffer, value)
                let sent = channel.SendItemAsync(key, buffer.WrittenMemory, YieldFrames.startBatch, ItemRun.writeEncoded, soon)

                if buffer.Capacity > (1 <<< 20) then
                    ChannelLink.scratch <- null // a huge item: do not keep its buffer

                sent

        member _.SendItems(key, items, count) =
            channel.SendItemsAsync(key, items, count, YieldFrames.startBatch, ChannelLink.copyItems, true)

        member _.Writing = channel.IsWriting

        member _.ItemCodec<'T>() = ItemCodecs.create<'T> serializer

        member _.DisposeAsync() = channel.DisposeAsync()

/// Call arguments and results as MessagePack blobs, by declared type.
type internal PayloadCodec(serializer: IWireSerializer) =
    interface IPayloadCodec with
        member _.Encode(t, value) =
            let w = ArrayBufferWriter<byte>(64)
            serializer.Serialize(w, t, value)
            w.WrittenSpan.ToArray()

        member _.Decode(t, payload) =
            serializer.Deserialize(ReadOnlySequence payload, t)

        member _.Check(t) = serializer.Validate t
