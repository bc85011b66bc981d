namespace TractorNet.Runtime

open System
open System.Buffers
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc
open TractorNet.Wire

/// An `IMessageLink` over an authenticated IPC channel: each frame is one MessagePack-encoded
/// `Message`.
type internal ChannelLink(channel: Channel, serializer: IWireSerializer) =
    static let encode =
        Action<IBufferWriter<byte>, struct (IWireSerializer * Message)>(fun w (struct (s, m)) -> s.Serialize<Message>(w, m))

    let remote =
        let p = channel.Peer
        { Name = p.Name; Uid = p.Uid }

    let decodeCurrent () =
        serializer.Deserialize<Message>(ReadOnlySequence channel.Current)

    /// The IPC channel underneath.
    member _.Channel = channel

    interface IMessageLink with
        member _.Remote = remote
        member _.Send(msg) = channel.SendAsync(struct (serializer, msg), encode)

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
