/// The stream item frames against the union codec they short-cut: every key and item length
/// gives the bytes of `Yield(key, item)`, and the parser reads them back; items sent through a
/// real channel arrive in order, those queued while it writes in batch frames that both codecs
/// read as `Yields(key, items)`.
module TractorNet.Tests.StreamingFrameProperties

open System
open System.Buffers
open NUnit.Framework
open TractorNet.Ipc
open TractorNet.Runtime
open TractorNet.Wire
open TractorNet.Tests.IpcSupport

/// Keys over the whole int64 range (FsCheck's own are small); items of every bin header size.
let private keyAndItem (k: int64) (shift: byte) (item: byte[]) (pad: byte) =
    let key = k <<< (int shift % 57)

    let item =
        match pad % 3uy with
        | 0uy -> item
        | 1uy -> Array.append item (Array.create 300 7uy)
        | _ -> Array.append item (Array.create 70_000 9uy)

    key, item

let ``an item frame is the union codec's encoding of Yield`` (k: int64) (shift: byte) (item: byte[]) (pad: byte) =
    let key, item = keyAndItem k shift item pad
    let frame = ArrayBufferWriter<byte>()
    YieldFrames.encode.Invoke(frame, struct (key, ReadOnlyMemory item))
    let reference = MsgPackSerializer.Default.SerializeToArray<Message>(Yield(key, item))
    frame.WrittenSpan.ToArray() = reference

let ``an item frame parses back to its key and item`` (k: int64) (shift: byte) (item: byte[]) (pad: byte) =
    let key, item = keyAndItem k shift item pad
    let frame = ArrayBufferWriter<byte>()
    YieldFrames.encode.Invoke(frame, struct (key, ReadOnlyMemory item))
    let mutable parsedKey = 0L
    let mutable parsed = ReadOnlyMemory<byte>.Empty
    YieldFrames.tryParse (frame.WrittenMemory, &parsedKey, &parsed) && parsedKey = key && parsed.ToArray() = item

/// What arrived: a stream item (key, bytes) or another message's frame.
type private Arrived =
    | ItemOf of int64 * byte[]
    | OtherFrame of byte[]

/// Sends `ops` on a fresh channel pair (an item of one of three streams, or another message),
/// reading at the same time; returns what was sent, what arrived, and the batch frames.
let private roundTrip (ops: (bool * byte * byte[]) list) =
    let listener, client, server = channelPair "uds" null
    use _ = listener
    let reading = receiveAll server
    let keys = [| 1L; -2L; 300_000L |]

    let sent =
        [ for isItem, k, bytes in ops do
              let bytes = if isNull bytes then [||] else bytes

              if isItem then
                  let key = keys[int k % keys.Length]
                  client.SendItemAsync(key, ReadOnlyMemory bytes, YieldFrames.startBatch, ItemRun.writeEncoded, true) |> ignore
                  ItemOf(key, bytes)
              else
                  let w = ArrayBufferWriter<byte>()
                  MessageCodec.serialize w (Return(7L, bytes))
                  client.SendAsync(w.WrittenSpan) |> ignore
                  OtherFrame bytes ]

    await (client.CloseAsync())
    let frames = awaitValue reading
    let mutable batches = []

    let arrived =
        [ for frame in frames do
              let mutable key = 0L
              let mutable run = ReadOnlyMemory<byte>.Empty
              let mutable count = 0
              let mutable extra = 0

              if YieldFrames.tryParseRun (ReadOnlyMemory frame, &key, &run, &count, &extra) then
                  let mutable pos = 0
                  let items = [ for _ in 1..count -> (ItemRun.next (run, &pos)).ToArray() ]
                  batches <- (frame, key, items) :: batches

                  for item in items do
                      ItemOf(key, item)
              else
                  match MessageCodec.deserialize (ReadOnlySequence frame) with
                  | Return(7L, bytes) -> OtherFrame(if isNull bytes then [||] else bytes)
                  | m -> failwith $"unexpected frame {m}" ]

    sent, arrived, List.rev batches

let ``items and frames sent on a channel arrive in order, batch frames read as Yields by both codecs`` (ops: (bool * byte * byte[]) list) =
    let sent, arrived, batches = roundTrip ops

    let readable =
        batches
        |> List.forall (fun (frame: byte[], key, items) ->
            let expected = Yields(key, items)
            // A lone item may travel as a batch of one; both codecs read every batch frame.
            MessageCodec.deserialize (ReadOnlySequence frame) = expected
            && MsgPackSerializer.Default.Deserialize<Message>(ReadOnlySequence frame) = expected)

    sent = arrived && readable

let ``items queued while the channel is writing travel together in one frame`` () =
    let listener, client, server = channelPair "uds" null
    use _ = listener
    // A frame far larger than the socket's buffers, not read yet, keeps the flusher writing.
    client.SendAsync(ReadOnlySpan(Array.zeroCreate<byte> (8 * 1024 * 1024))) |> ignore

    for i in 0..99 do
        client.SendItemAsync(5L, ReadOnlyMemory [| byte i |], YieldFrames.startBatch, ItemRun.writeEncoded, true) |> ignore

    let reading = receiveAll server
    await (client.CloseAsync())
    let frames = awaitValue reading |> Seq.toList
    let itemFrames = frames |> List.filter (fun f -> f.Length < 1024)
    let items =
        [ for f in itemFrames do
              let mutable key = 0L
              let mutable run = ReadOnlyMemory<byte>.Empty
              let mutable count = 0
              let mutable extra = 0
              Assert.That(YieldFrames.tryParseRun (ReadOnlyMemory f, &key, &run, &count, &extra), Is.True)
              Assert.That(key, Is.EqualTo 5L)
              let mutable pos = 0

              for _ in 1..count do
                  (ItemRun.next (run, &pos)).ToArray() ]

    Assert.That(items, eq [ for i in 0..99 -> [| byte i |] ])
    // The flusher took the queue at most once while the items were being queued.
    Assert.That(itemFrames.Length, Is.LessThanOrEqualTo 2)

let ``an item's credit units are one plus one per whole KiB of its encoding`` () =
    let units n = 1 + ItemRun.extraUnits n
    Assert.That([ units 0; units 1023; units 1024; units 65_541; units 1_048_581 ], eq [ 1; 1; 2; 65; 1025 ])

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "StreamingFrameProperties" [
        Register.property 200 [] "an item frame is the union codec's encoding of Yield" ``an item frame is the union codec's encoding of Yield``
        Register.property 200 [] "an item frame parses back to its key and item" ``an item frame parses back to its key and item``
        Register.property 100 [] "items and frames sent on a channel arrive in order, batch frames read as Yields by both codecs" ``items and frames sent on a channel arrive in order, batch frames read as Yields by both codecs``
        Register.test "items queued while the channel is writing travel together in one frame" ``items queued while the channel is writing travel together in one frame``
        Register.test "an item's credit units are one plus one per whole KiB of its encoding" ``an item's credit units are one plus one per whole KiB of its encoding``
    ]
