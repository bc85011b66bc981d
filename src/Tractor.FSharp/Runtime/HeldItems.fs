namespace TractorNet.Runtime

open System
open TractorNet.Ipc

/// Items a one-way stream's pump holds back while its channel is writing, to send them in one
/// step (`ContextEndpoint.TryHold`): bins back to back, and the credit they may still spend.
/// Owned by the pump.
[<Sealed>]
type internal HeldItems() =
    /// Held items above this many bytes go out at once.
    static let limit = 16 * 1024
    let mutable buffer: BatchBuffer = null
    let mutable count = 0
    /// True once the stream's items were found large: they are not held (the copy would cost
    /// more than the step saves).
    let mutable direct = false

    /// Credit units the pump took from the stream's gate and has not spent yet (the pump's
    /// alone): held items spend these without touching the shared counter. Given back
    /// (`ContextEndpoint.ReturnAllowance`) before the pump sends an item the other way.
    member val Allowance = 0 with get, set

    member _.Count = count
    member _.Direct = direct
    /// True when the held items should go now.
    member _.Full = not (isNull buffer) && buffer.Count >= limit

    /// The buffer the next item is written to.
    member _.Buffer =
        if isNull buffer then
            buffer <- BatchBuffer(limit + 1024)

        buffer

    /// One item of `length` encoded bytes was written.
    member _.Added(length: int) =
        count <- count + 1

        if length >= 4096 then
            direct <- true

    member _.Written = if isNull buffer then ReadOnlyMemory<byte>.Empty else buffer.Written

    /// Forgets the held items (they were sent).
    member _.Clear() =
        count <- 0

        if not (isNull buffer) then
            buffer.Reset()
