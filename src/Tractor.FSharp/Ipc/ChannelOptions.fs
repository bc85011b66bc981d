namespace TractorNet.Ipc

open System
open TractorNet

/// Settings of a channel. Mutable properties with defaults, so C# object initialisers and F#
/// named setters both work: `ChannelOptions(MaxFrameSize = 1 <<< 20)`.
[<Sealed; AllowNullLiteral>]
type ChannelOptions() =
    /// The largest payload accepted or sent, in bytes (default 16 MiB). A larger incoming frame
    /// closes the connection; a larger outgoing one is refused with `FrameTooLargeException`.
    member val MaxFrameSize = Frame.DefaultMaxSize with get, set

    /// Bytes queued for sending above which `SendAsync` returns a task that completes when the
    /// queue has been handed to the socket (backpressure). Default 1 MiB.
    member val SendQueueLimit = 1 <<< 20 with get, set

    /// How long `DisposeAsync` waits for queued frames and the goodbye to be written. Default 2 s.
    member val CloseTimeout = TimeSpan.FromSeconds 2.0 with get, set

    /// Where the channel says why it closed a connection. Default: warnings to standard error.
    member val Log: ILog = Log.standardError with get, set

    /// The defaults.
    static member Default = ChannelOptions()
