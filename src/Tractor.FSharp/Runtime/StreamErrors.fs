namespace TractorNet

open System

/// <summary>
/// A context ended because it was cancelled by someone other than this side: the peer
/// (<c>ctx.Cancel()</c> in the callee) or a third actor (e.g. the callee's parent cancelling it).
/// A cancellation this side asked for is absorbed at context exit instead.
/// </summary>
type ContextCancelledError(info: RemoteErrorInfo, canceller: ActorId) =
    inherit RemoteActorError(info)

    /// <summary>The actor that requested the cancellation.</summary>
    member _.Canceller = canceller

/// <summary>
/// A stream's receiver fell more than its buffer behind under <c>Overruns.Fail</c> (its stream open
/// or not yet opened): the context failed on both sides. The receiver's iteration raises it after
/// the buffered items, the sender's next <c>Send</c> raises it, both sides' context tokens are
/// cancelled, and the caller's context exit raises it if its code has not seen it: as itself when
/// the caller's buffer overran, as a <see cref="T:TractorNet.RemoteActorError"/> boxing it when the callee's did.
/// </summary>
type StreamOverrunError(message: string) =
    inherit Exception(message)

/// <summary>
/// Raised when a stream item cannot be read as the type the receiver expects (the two sides
/// disagree on the stream's item types, or the bytes are corrupt).
/// </summary>
type StreamItemError(message: string, inner: exn) =
    inherit Exception(message, inner)
