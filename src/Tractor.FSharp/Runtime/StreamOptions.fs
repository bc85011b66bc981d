namespace TractorNet

/// What a stream does when its receiver falls behind its sender.
type Overruns =
    /// Credit-based backpressure (the default): the receiver grants the sender room for
    /// `BufferSize` items at a time, so a slow receiver slows the sender down across the process
    /// boundary. Nothing is dropped and memory stays bounded.
    | Backpressure = 0
    /// tractor's default: no flow control; when more than `BufferSize` items wait unread, the
    /// stream fails with `StreamOverrunError` on both sides.
    | Fail = 1
    /// tractor's `allow_overruns`: no flow control and an unbounded receive buffer. Fastest for
    /// short bursts; a receiver that stays behind grows its memory without limit.
    | Allow = 2

/// How a context's or stream's items flow.
type StreamOptions =
    { /// Items each receiver buffers (and, under backpressure, the sender's credit window).
      BufferSize: int
      /// The overrun policy.
      Overruns: Overruns }

    /// Backpressure with a 256-item window.
    static member Default = { BufferSize = 256; Overruns = Overruns.Backpressure }

    /// The options with another buffer size (1 or more).
    member o.WithBufferSize(size: int) = { o with BufferSize = size }

    /// The options with another overrun policy.
    member o.WithOverruns(policy: Overruns) = { o with Overruns = policy }

    member internal o.Validate() =
        if o.BufferSize < 1 then
            invalidArg "options" $"a stream's BufferSize must be at least 1 (got {o.BufferSize})"

        if not (System.Enum.IsDefined<Overruns> o.Overruns) then
            invalidArg "options" $"unknown overrun policy {int o.Overruns}"
