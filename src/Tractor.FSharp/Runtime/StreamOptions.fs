namespace TractorNet

/// <summary>What a stream does when its receiver falls behind its sender.</summary>
type Overruns =
    /// <summary>
    /// Credit-based backpressure (the default): the receiver grants the sender room for
    /// <c>BufferSize</c> items at a time, so a slow receiver slows the sender down across the process
    /// boundary. Nothing is dropped and memory stays bounded.
    /// </summary>
    | Backpressure = 0
    /// <summary>
    /// tractor's default: no flow control; when more than <c>BufferSize</c> items wait unread (in
    /// the stream, or in the context before its stream is opened), the context fails with
    /// <see cref="T:TractorNet.StreamOverrunError"/> on both sides. Exactly <c>BufferSize</c> unread items are fine.
    /// </summary>
    | Fail = 1
    /// <summary>
    /// tractor's <c>allow_overruns</c>: no flow control and an unbounded receive buffer. Fastest for
    /// short bursts; a receiver that stays behind grows its memory without limit.
    /// </summary>
    | Allow = 2

/// <summary>How a context's or stream's items flow.</summary>
type StreamOptions =
    { /// <summary>Items each receiver buffers (and, under backpressure, the sender's credit window).</summary>
      BufferSize: int
      /// <summary>The overrun policy.</summary>
      Overruns: Overruns }

    /// <summary>
    /// Backpressure with a 1024-item window. The window must cover the items sent while a
    /// credit grant travels back: measured on a loaded 2-core machine, a 256-item window held a
    /// stream of small items to ~2.2–2.6 M/s, 1024 items to ~4 M/s (the per-item ceiling).
    /// Lower it for large items to bound the receiver's memory.
    /// </summary>
    static member Default = { BufferSize = 1024; Overruns = Overruns.Backpressure }

    /// <summary>The options with another buffer size (1 or more).</summary>
    member o.WithBufferSize(size: int) = { o with BufferSize = size }

    /// <summary>The options with another overrun policy.</summary>
    member o.WithOverruns(policy: Overruns) = { o with Overruns = policy }

    member internal o.Validate() =
        if o.BufferSize < 1 then
            invalidArg "options" $"a stream's BufferSize must be at least 1 (got {o.BufferSize})"

        if not (System.Enum.IsDefined<Overruns> o.Overruns) then
            invalidArg "options" $"unknown overrun policy {int o.Overruns}"
