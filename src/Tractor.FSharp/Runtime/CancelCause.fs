namespace TractorNet.Runtime

open TractorNet

/// Who asked this actor to cancel everything (the parent's CancelActor), for naming the
/// canceller of the contexts that ends.
module internal CancelCause =
    let mutable private requestedBy: ActorId voption = ValueNone
    let record (who: ActorId) = requestedBy <- ValueSome who
    let current () = requestedBy
