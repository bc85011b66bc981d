namespace TractorNet

open System
open TractorNet.Runtime

/// The actor this code runs in.
type ActorDetails =
    { /// Name and unique id.
      Id: ActorId
      /// OS process id.
      Pid: int
      /// The parent actor (None at the root).
      Parent: ActorId option }

    member a.Name = a.Id.Name
    member a.Uid = a.Id.Uid
    member a.IsRoot = a.Parent.IsNone
    /// The registry address this actor uses for discovery (docs/discovery.md).
    member a.Registry = TractorNet.Discovery.Registries.address ()

/// Facts about the actor this code runs in.
module Actor =
    let private runtime () = ActorRuntime.Current

    /// This actor's identity (name and unique id). In a process that has not opened a nursery
    /// yet, this starts the root actor.
    let id () : ActorId = (runtime ()).Id

    /// This actor's name.
    let name () = (id ()).Name

    /// The parent actor, or None at the root.
    let parent () : ActorId option = (runtime ()).Parent

    /// This actor: name, unique id, pid and parent.
    let current () : ActorDetails =
        let rt = runtime ()
        { Id = rt.Id; Pid = Environment.ProcessId; Parent = rt.Parent }

    /// A portal to this actor itself (tractor's local portal): `Run` calls the function here, in
    /// this process; opening a context or stream with oneself, or cancelling oneself through it,
    /// is refused with a clear error (tractor's `test_ctx_with_self_actor`).
    let portal () : Portal =
        let rt = runtime ()
        Portal(Unchecked.defaultof<ChildActor>, rt.Id, rt.Codec)

    /// Whether this is the root actor of its tree.
    let isRoot () = (parent ()).IsNone

    /// This actor's OS process id.
    let pid () = Environment.ProcessId

    /// Cancelled when this actor is told to cancel (CancelActor, SIGTERM, Ctrl-C at the root).
    let cancellationToken () = (runtime ()).Token

    /// The cancel ladder this actor uses for its children (and passes on to them): how long a
    /// child gets to acknowledge a cancel request and exit, and how long after SIGTERM before
    /// SIGKILL.
    let cancelLadder () : CancelLadder = (runtime ()).Ladder

    /// Sets the cancel ladder for children spawned from now on.
    let setCancelLadder (ladder: CancelLadder) = (runtime ()).Ladder <- ladder
