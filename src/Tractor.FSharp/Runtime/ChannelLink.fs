namespace TractorNet.Runtime

open System
open System.Buffers
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

    /// Writes the frame of one item whose encoded bytes are `item`.
    let encode =
        Action<IBufferWriter<byte>, struct (int64 * ReadOnlyMemory<byte>)>(fun w (struct (key, item)) ->
            let mutable writer = MsgPackWriter(w, 4)
            writer.WriteArrayHeader 3
            writer.WriteInt32 tag
            writer.WriteInt64 key
            writer.WriteBinary item.Span
            writer.Flush())

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

/// An `IMessageLink` over an authenticated IPC channel: each frame is one MessagePack-encoded
/// `Message` (the hand-written `MessageCodec`); `serializer` encodes stream items.
type internal ChannelLink(channel: Channel, serializer: IWireSerializer) =
    static let encode = Action<IBufferWriter<byte>, Message>(fun w m -> MessageCodec.serialize w m)

    static let ended = { Message = Unchecked.defaultof<_>; Key = 0L; Item = ReadOnlyMemory<byte>.Empty; Ended = true }

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
        let mutable item = ReadOnlyMemory<byte>.Empty

        if YieldFrames.tryParse (frame, &key, &item) then
            { Message = Unchecked.defaultof<_>; Key = key; Item = item; Ended = false }
        else
            { Message = decodeCurrent (); Key = 0L; Item = ReadOnlyMemory<byte>.Empty; Ended = false }


    /// The IPC channel underneath.
    member _.Channel = channel

    interface IMessageLink with
        member _.Remote = remote
        member _.Send(msg) = channel.SendAsync(msg, encode)

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

        member _.ReceiveNext() =
            let vt = channel.ReceiveAsync()

            if vt.IsCompletedSuccessfully then
                ValueTask<_>(if vt.Result then incomingCurrent () else ended)
            else
                let slow: Task<Incoming> =
                    task {
                        let! more = vt
                        return (if more then incomingCurrent () else ended)
                    }

                ValueTask<Incoming>(slow)

        member _.SendItem<'T>(key: int64, codec: ItemCodec<'T>, value: 'T) =
            let mutable buffer = ChannelLink.scratch

            if isNull buffer then
                buffer <- ArrayBufferWriter<byte>(256)
                ChannelLink.scratch <- buffer

            buffer.ResetWrittenCount()
            codec.Write(buffer, value)
            let sent = channel.SendAsync(struct (key, buffer.WrittenMemory), YieldFrames.encode)

            if buffer.Capacity > (1 <<< 20) then
                ChannelLink.scratch <- null // a huge item: do not keep its buffer

            sent

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
