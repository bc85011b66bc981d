namespace TractorNet.Runtime

open System
open System.Buffers.Binary
open TractorNet.Ipc

/// The length of the item the last channel item writer on this thread wrote (`ItemRun.writeValue`): what
/// the sender charges against its credit (`ItemRun.extraUnits`).
type internal LastItem private () =
    [<ThreadStatic; DefaultValue>]
    static val mutable private length: int

    static member Length
        with get () = LastItem.length
        and set (v: int) = LastItem.length <- v

/// Stream items as they lie in a frame (`Yield` or `Yields`, docs/protocol.md §4): MessagePack
/// `bin` values back to back, each holding one item's bytes. Read in place, without copying:
/// the receive loop checks a run once (`tryMeasure`), then the stream's buffer walks it (`next`); the
/// writers below put items there.
module internal ItemRun =
    /// The bin at `pos` of a checked run: its content; `pos` moves past it.
    let next (run: ReadOnlyMemory<byte>, pos: byref<int>) : ReadOnlyMemory<byte> =
        let span = run.Span

        let header, length =
            match span[pos] with
            | 0xc4uy -> 2, int span[pos + 1]
            | 0xc5uy -> 3, int (BinaryPrimitives.ReadUInt16BigEndian(span.Slice(pos + 1)))
            | _ -> 5, int (BinaryPrimitives.ReadUInt32BigEndian(span.Slice(pos + 1)))

        let item = run.Slice(pos + header, length)
        pos <- pos + header + length
        item

    /// Credit units an item of `length` encoded bytes takes beyond its first: one per whole KiB
    /// (docs/protocol.md §4.6), so a window bounds the bytes in flight as well as the items.
    let inline extraUnits (length: int) = length >>> 10

    /// True when `run` is exactly `count` bins (each header complete, each length in bounds);
    /// `extra` gets the items' `extraUnits` in all.
    let tryMeasure (run: ReadOnlySpan<byte>, count: int, extra: byref<int>) : bool =
        let mutable units = 0L
        let mutable pos = 0
        let mutable seen = 0
        let mutable ok = count >= 0

        while ok && seen < count do
            let rest = run.Length - pos

            let header, length =
                if rest < 2 then
                    0, -1L
                else
                    match run[pos] with
                    | 0xc4uy -> 2, int64 run[pos + 1]
                    | 0xc5uy when rest >= 3 -> 3, int64 (BinaryPrimitives.ReadUInt16BigEndian(run.Slice(pos + 1)))
                    | 0xc6uy when rest >= 5 -> 5, int64 (BinaryPrimitives.ReadUInt32BigEndian(run.Slice(pos + 1)))
                    | _ -> 0, -1L

            if length < 0L || int64 header + length > int64 rest then
                ok <- false
            else
                pos <- pos + header + int length
                units <- units + int64 (extraUnits (int length))
                seen <- seen + 1

        extra <- int (min units (int64 Int32.MaxValue))
        ok && pos = run.Length

    /// True when `run` is exactly `count` bins.
    let isValid (run: ReadOnlySpan<byte>) (count: int) : bool =
        let mutable extra = 0
        tryMeasure (run, count, &extra)

    // ---- writing ----

    /// The smallest bin header of `n` bytes; its size.
    let writeBinHeader (span: Span<byte>) (n: int) : int =
        if n <= 0xff then
            span[0] <- 0xc4uy
            span[1] <- byte n
            2
        elif n <= 0xffff then
            span[0] <- 0xc5uy
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice 1, uint16 n)
            3
        else
            span[0] <- 0xc6uy
            BinaryPrimitives.WriteUInt32BigEndian(span.Slice 1, uint32 n)
            5

    /// Appends one item already encoded (`item`) as a bin.
    let writeEncoded =
        Action<BatchBuffer, ReadOnlyMemory<byte>>(fun buffer item ->
            let n = item.Length
            buffer.Ensure(5 + n)
            let span = buffer.Tail(5 + n)
            let h = writeBinHeader span n
            item.Span.CopyTo(span.Slice h)
            buffer.Advance(h + n)
            LastItem.Length <- n)

    /// Encodes an item straight into the send queue as a bin: the codec writes after a 5-byte
    /// gap, then a small item moves down behind the smallest header (a few bytes moved, and
    /// no second buffer or copy); an item of 64 KiB or more keeps a bin32 header in place.
    let writeItem<'T> (buffer: BatchBuffer) (codec: ItemCodec<'T>) (value: 'T) : int =
        let mark = buffer.Count
        buffer.Ensure 64
        buffer.Advance 5
        codec.WriteTo(buffer, value)
        let n = buffer.Count - mark - 5

        if n > 0xffff then
            writeBinHeader (buffer.Slice(mark, 5)) n |> ignore
        else
            let h = if n <= 0xff then 2 else 3
            let span = buffer.Slice(mark, 5 + n)

            if n <= 8 then
                // A small item (an int...): a few bytes, moved without a call.
                for k in 0 .. n - 1 do
                    span[h + k] <- span[5 + k]
            else
                span.Slice(5, n).CopyTo(span.Slice h)

            writeBinHeader span n |> ignore
            buffer.Truncate(mark + h + n)

        n

    /// `writeItem` for items expected small (a pump's held items): the codec writes after a
    /// 2-byte gap, a bin8 header's room, so an item under 256 bytes moves nowhere; a larger one
    /// then moves up behind its bin16 or bin32 header.
    let writeSmallItem<'T> (buffer: BatchBuffer) (codec: ItemCodec<'T>) (value: 'T) : int =
        let mark = buffer.Count
        buffer.Ensure 64
        buffer.Advance 2
        codec.WriteTo(buffer, value)
        let n = buffer.Count - mark - 2

        if n <= 0xff then
            let span = buffer.Slice(mark, 2)
            span[0] <- 0xc4uy
            span[1] <- byte n
        else
            let h = if n <= 0xffff then 3 else 5
            buffer.Ensure(h - 2)
            buffer.Slice(mark + 2, n).CopyTo(buffer.Slice(mark + h, n))
            writeBinHeader (buffer.Slice(mark, h)) n |> ignore
            buffer.Advance(h - 2)

        n

    /// `writeItem` as the channel's item writer (the length goes to `LastItem`).
    let writeValue<'T> : Action<BatchBuffer, struct (ItemCodec<'T> * 'T)> =
        Action<BatchBuffer, struct (ItemCodec<'T> * 'T)>(fun buffer (struct (codec, value)) ->
            LastItem.Length <- writeItem buffer codec value)

/// The in-place item writer of `'T`, built once per type.
type internal ItemWriters<'T> private () =
    static member val Value = ItemRun.writeValue<'T>
