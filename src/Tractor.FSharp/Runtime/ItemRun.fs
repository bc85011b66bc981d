namespace TractorNet.Runtime

open System
open System.Buffers.Binary

/// Stream items as they lie in a frame (`Yield` or `Yields`, docs/protocol.md §4): MessagePack
/// `bin` values back to back, each holding one item's bytes. Read in place, without copying:
/// the receive loop checks a run once (`tryCount`), then the stream's buffer walks it (`next`).
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

    /// True when `run` is exactly `count` bins (each header complete, each length in bounds).
    let isValid (run: ReadOnlySpan<byte>) (count: int) : bool =
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
                seen <- seen + 1

        ok && pos = run.Length
