namespace TractorNet.Runtime

open TractorNet

/// How a context or stream call ended, as its caller learns it.
type internal CallOutcome =
    /// The function returned this (encoded) value.
    | Returned of Value: byte[]
    /// The function raised.
    | Failed of Error: RemoteErrorInfo
    /// The function was cancelled, by `Canceller`.
    | CancelledBy of Canceller: ActorId * Reason: string
    /// The connection broke (or the call could not be sent).
    | Broken of Error: exn
