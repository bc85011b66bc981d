namespace TractorNet

open System

/// The bounds of the cancel ladder: ask the actor to cancel, wait `Graceful`; SIGTERM, wait
/// `Terminate`; then SIGKILL (and wait for the kernel to reap it).
type CancelLadder =
    { /// How long an actor gets to acknowledge a cancel request and exit.
      Graceful: TimeSpan
      /// How long an actor gets to exit after SIGTERM before SIGKILL.
      Terminate: TimeSpan }

    /// Short defaults: a well-behaved actor exits within milliseconds of a cancel request.
    static member Default = { Graceful = TimeSpan.FromSeconds 2.0; Terminate = TimeSpan.FromSeconds 1.0 }
