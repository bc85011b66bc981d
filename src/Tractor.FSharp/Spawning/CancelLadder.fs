namespace TractorNet

open System

/// <summary>
/// The bounds of the cancel ladder: ask the actor to cancel, wait <c>Graceful</c>; SIGTERM, wait
/// <c>Terminate</c>; then SIGKILL (and wait for the kernel to reap it).
/// </summary>
type CancelLadder =
    { /// <summary>How long an actor gets to acknowledge a cancel request and exit.</summary>
      Graceful: TimeSpan
      /// <summary>How long an actor gets to exit after SIGTERM before SIGKILL.</summary>
      Terminate: TimeSpan }

    /// <summary>Short defaults: a well-behaved actor exits within milliseconds of a cancel request.</summary>
    static member Default = { Graceful = TimeSpan.FromSeconds 2.0; Terminate = TimeSpan.FromSeconds 1.0 }
