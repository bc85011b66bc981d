/// The stream item frame's hand-written encoder against the union codec it short-cuts: every
/// key and item length gives the bytes of `Yield(key, item)`, and the parser reads them back.
module TractorNet.Tests.StreamingFrameProperties

open System
open System.Buffers
open TractorNet.Runtime
open TractorNet.Wire

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

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "StreamingFrameProperties" [
        Register.property 200 [] "an item frame is the union codec's encoding of Yield" ``an item frame is the union codec's encoding of Yield``
        Register.property 200 [] "an item frame parses back to its key and item" ``an item frame parses back to its key and item``
    ]
