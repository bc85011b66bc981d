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
    { /// <summary>
      /// Items each receiver buffers (<c>Overruns.Fail</c>: more unread fail the stream), and under
      /// backpressure the sender's credit window, in units: an item takes one unit plus one per
      /// whole KiB of its encoding, so the window bounds the bytes in flight as well as the items.
      /// </summary>
      BufferSize: int
      /// <summary>The overrun policy.</summary>
      Overruns: Overruns }

    /// <summary>
    /// Backpressure with an 8192-unit window: an item takes one unit, plus one per whole KiB of
    /// its encoding, so the window holds 8192 small items or about 8 MiB of large ones. The
    /// window must cover the items sent while a credit grant travels back: on a loaded 2-core
    /// machine a 1024-item window held a stream of small items to ~4-5 M/s and cost the
    /// receiver about twice the CPU per item (each grant wakes both sides); 4096-8192 units
    /// reached the per-item ceiling. Lower it to bound a slow receiver's memory further.
    /// </summary>
    static member Default = { BufferSize = 8192; Overruns = Overruns.Backpressure }

    /// <summary>The options with another buffer size (1 or more).</summary>
    member o.WithBufferSize(size: int) = { o with BufferSize = size }

    /// <summary>The options with another overrun policy.</summary>
    member o.WithOverruns(policy: Overruns) = { o with Overruns = policy }

    member internal o.Validate() =
        if o.BufferSize < 1 then
            invalidArg "options" $"a stream's BufferSize must be at least 1 (got {o.BufferSize})"

        if not (System.Enum.IsDefined<Overruns> o.Overruns) then
            invalidArg "options" $"unknown overrun policy {int o.Overruns}"
