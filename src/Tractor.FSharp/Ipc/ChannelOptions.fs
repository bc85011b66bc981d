namespace TractorNet.Ipc

open System
open TractorNet

/// <summary>
/// Settings of a channel. Mutable properties with defaults, so C# object initialisers and F#
/// named setters both work: <c>ChannelOptions(MaxFrameSize = 1 &lt;&lt;&lt; 20)</c>.
/// </summary>
[<Sealed; AllowNullLiteral>]
type ChannelOptions() =
    /// <summary>
    /// The largest payload accepted or sent, in bytes (default 16 MiB). A larger incoming frame
    /// closes the connection; a larger outgoing one is refused with <see cref="T:TractorNet.Ipc.FrameTooLargeException"/>.
    /// </summary>
    member val MaxFrameSize = Frame.DefaultMaxSize with get, set

    /// <summary>
    /// Bytes queued for sending above which <c>SendAsync</c> returns a task that completes when the
    /// queue has been handed to the socket (backpressure). Default 1 MiB.
    /// </summary>
    member val SendQueueLimit = 1 <<< 20 with get, set

    /// <summary>
    /// How long <c>DisposeAsync</c> waits for queued frames and the goodbye to be written. Default 2 s.
    /// </summary>
    member val CloseTimeout = TimeSpan.FromSeconds 2.0 with get, set

    /// <summary>Where the channel says why it closed a connection. Default: warnings to standard error.</summary>
    member val Log: ILog = Log.standardError with get, set

    /// <summary>The defaults.</summary>
    static member Default = ChannelOptions()
