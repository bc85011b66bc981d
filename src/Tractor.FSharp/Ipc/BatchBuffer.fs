namespace TractorNet.Ipc

open System
open System.Buffers

/// A growable byte buffer that senders append frames to and the flusher writes out in one call.
/// Grown buffers come from the shared pool and go back once batches shrink again, so a burst
/// of large frames does not pin memory.
[<Sealed; AllowNullLiteral>]
type internal BatchBuffer(initialSize: int) =
    let home: byte[] = GC.AllocateUninitializedArray initialSize
    let mutable buffer = home
    let mutable pooled = false
    let mutable count = 0

    member _.Count = count
    member _.Capacity = buffer.Length
    member _.Written = ReadOnlyMemory<byte>(buffer, 0, count)

    /// Makes room for `n` more bytes.
    member _.Ensure(n: int) =
        if buffer.Length - count < n then
            let size = max (count + n) (min (2L * int64 buffer.Length) (int64 Int32.MaxValue - 64L) |> int)
            let bigger = ArrayPool<byte>.Shared.Rent size
            Buffer.BlockCopy(buffer, 0, bigger, 0, count)
            if pooled then
                ArrayPool<byte>.Shared.Return buffer
            buffer <- bigger
            pooled <- true

    /// The next `n` bytes (after `Ensure n`).
    member _.Tail(n: int) = Span<byte>(buffer, count, n)

    /// `length` bytes written at `offset` (to patch or move them).
    member _.Slice(offset: int, length: int) = Span<byte>(buffer, offset, length)

    /// All the free space after the written bytes (what `GetSpan` hands out).
    member _.Free = Span<byte>(buffer, count, buffer.Length - count)

    member _.Advance(n: int) = count <- count + n

    /// Forgets bytes written after `mark` (a frame whose encoding failed).
    member _.Truncate(mark: int) = count <- mark

    /// Writes `length` at `offset` as a frame prefix.
    member _.PatchHeader(offset: int, length: int) = Frame.writeHeader (Span<byte>(buffer, offset, Frame.HeaderSize)) length

    /// Empties the buffer. A grown array is kept while batches still fill a good part of it
    /// (steady load: no churn) and goes back to the pool once they do not (the burst is over).
    member _.Reset() =
        if pooled && count < buffer.Length / 4 then
            ArrayPool<byte>.Shared.Return buffer
            buffer <- home
            pooled <- false
        count <- 0

    interface IBufferWriter<byte> with
        member this.Advance n =
            if n < 0 || count + n > buffer.Length then
                raise (ArgumentOutOfRangeException("count"))
            count <- count + n

        member this.GetMemory sizeHint =
            this.Ensure(max sizeHint 256)
            Memory<byte>(buffer, count, buffer.Length - count)

        member this.GetSpan sizeHint =
            this.Ensure(max sizeHint 256)
            Span<byte>(buffer, count, buffer.Length - count)
