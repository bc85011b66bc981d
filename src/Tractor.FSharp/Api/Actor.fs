namespace TractorNet

open System
open TractorNet.Runtime

/// <summary>The actor this code runs in.</summary>
type ActorDetails =
    { /// <summary>Name and unique id.</summary>
      Id: ActorId
      /// <summary>OS process id.</summary>
      Pid: int
      /// <summary>The parent actor (None at the root).</summary>
      Parent: ActorId option }

    member a.Name = a.Id.Name
    member a.Uid = a.Id.Uid
    member a.IsRoot = a.Parent.IsNone
    /// The registry address this actor uses for discovery (docs/discovery.md).
    member a.Registry = TractorNet.Discovery.Registries.address ()

/// <summary>Facts about the actor this code runs in.</summary>
module Actor =
    let private runtime () = ActorRuntime.Current

    /// <summary>
    /// This actor's identity (name and unique id). In a process that has not opened a nursery
    /// yet, this starts the root actor.
    /// </summary>
    let id () : ActorId = (runtime ()).Id

    /// <summary>This actor's name.</summary>
    let name () = (id ()).Name

    /// <summary>The parent actor, or None at the root.</summary>
    let parent () : ActorId option = (runtime ()).Parent

    /// <summary>This actor: name, unique id, pid and parent.</summary>
    let current () : ActorDetails =
        let rt = runtime ()
        { Id = rt.Id; Pid = Environment.ProcessId; Parent = rt.Parent }

    /// <summary>
    /// A portal to this actor itself (tractor's local portal): <c>Run</c> calls the function here, in
    /// this process; opening a context or stream with oneself, or cancelling oneself through it,
    /// is refused with a clear error (tractor's <c>test_ctx_with_self_actor</c>).
    /// </summary>
    let portal () : Portal =
        let rt = runtime ()
        Portal(Unchecked.defaultof<ChildActor>, rt.Id, rt.Codec)

    /// <summary>Whether this is the root actor of its tree.</summary>
    let isRoot () = (parent ()).IsNone

    /// <summary>This actor's OS process id.</summary>
    let pid () = Environment.ProcessId

    /// <summary>Cancelled when this actor is told to cancel (CancelActor, SIGTERM, Ctrl-C at the root).</summary>
    let cancellationToken () = (runtime ()).Token

    /// <summary>
    /// The cancel ladder this actor uses for its children (and passes on to them): how long a
    /// child gets to acknowledge a cancel request and exit, and how long after SIGTERM before
    /// SIGKILL.
    /// </summary>
    let cancelLadder () : CancelLadder = (runtime ()).Ladder

    /// <summary>Sets the cancel ladder for children spawned from now on.</summary>
    let setCancelLadder (ladder: CancelLadder) = (runtime ()).Ladder <- ladder
