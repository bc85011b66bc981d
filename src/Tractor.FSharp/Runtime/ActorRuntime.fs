namespace TractorNet.Runtime

open System
open System.Collections.Concurrent
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc
open TractorNet.Spawning
open TractorNet.Wire

/// The actor runtime of this process (one per process): identity, the tree's secret, the
/// enabled modules, its live child processes, and the cancellation that CancelActor, SIGTERM
/// or Ctrl-C trigger. It listens nowhere: each child's channel is a socket pair it inherits.
type internal ActorRuntime(id: ActorId, parent: ActorId option, secret: byte[]) =
    let cancellation = new CancellationTokenSource()
    // Created by the first spawn: most actors never spawn, and their start-up skips it.
    let mutable live: ConcurrentDictionary<int, ChildProcess> = null
    let serializer: IWireSerializer = MsgPackSerializer.Default
    let codec = PayloadCodec serializer :> IPayloadCodec
    // IPC log lines go through the actor's log, with its name.
    let channelOptions = ChannelOptions(Log = Log.standardError)

    let mutable enabled: string list = []
    let mutable ladder = CancelLadder.Default
    let mutable parent = parent

    static let mutable current: ActorRuntime option = None
    static let currentGate = obj ()

    member _.Id = id
    /// The parent actor (None at the root).
    member _.Parent
        with get () = parent
        and set v = parent <- v
    /// The tree's secret, handed down to every child: for authenticating connections made by
    /// address (spawn channels are socket pairs and need none).
    member _.Secret = secret
    member _.Serializer = serializer
    member _.Codec = codec
    member _.ChannelOptions = channelOptions

    /// Cancelled when this actor is told to cancel everything (CancelActor, SIGTERM, Ctrl-C).
    member _.Token = cancellation.Token

    /// Cancels every nursery and call of this actor.
    member _.Cancel() =
        try
            cancellation.Cancel()
        with :? ObjectDisposedException ->
            ()

    /// The modules whose functions peers may run here.
    member _.EnabledModules
        with get () = enabled
        and set v = enabled <- v

    /// The cancel ladder for this actor's children.
    member _.Ladder
        with get () = ladder
        and set v = ladder <- v

    /// Child processes alive right now (for Ctrl-C escalation).
    member _.Track(child: ChildProcess) =
        if isNull live then
            Interlocked.CompareExchange(&live, ConcurrentDictionary(), null) |> ignore

        live[child.Pid] <- child

    member _.Untrack(child: ChildProcess) =
        if not (isNull live) then
            live.TryRemove child.Pid |> ignore

    /// SIGKILLs every child process (second Ctrl-C).
    member _.KillAll() =
        for KeyValue(_, c) in (if isNull live then ConcurrentDictionary() else live) do
            c.Signal Native.SIGKILL |> ignore

    /// The runtime of this process, if one started.
    static member TryCurrent = current

    /// Installs the runtime of a child process (ChildMain does this once).
    static member InstallChild(rt: ActorRuntime) = lock currentGate (fun () -> current <- Some rt)

    /// The runtime of this process; the first call in a root process starts the root actor.
    static member Current: ActorRuntime =
        match current with
        | Some rt -> rt
        | None ->
            lock currentGate (fun () ->
                match current with
                | Some rt -> rt
                | None ->
                    let rt = new ActorRuntime(ActorId.New "root", None, Handshake.NewSecret())
                    Log.setActor ("root", rt.Id.Uid)
                    rt.EnabledModules <- []
                    RootSignals.install rt
                    current <- Some rt
                    rt)

/// Ctrl-C at the root: the first cancels the whole tree gracefully, a second kills it.
and internal RootSignals private () =
    static let mutable registrations: IDisposable list = []

    static member install(rt: ActorRuntime) =
        let mutable presses = 0

        registrations <-
            [ System.Runtime.InteropServices.PosixSignalRegistration.Create(
                  System.Runtime.InteropServices.PosixSignal.SIGINT,
                  fun ctx ->
                      ctx.Cancel <- true

                      // Debug mode: Ctrl-C while a REPL is open is absorbed (tractor's SIGINT shield).
                      if not (isNull DebugHooks.Current) && DebugHooks.Current.Interrupted() then
                          ()
                      elif Interlocked.Increment &presses = 1 then
                          LayerLog.Warn "Ctrl-C: cancelling the actor tree (press again to kill it)"
                          rt.Cancel()
                      else
                          LayerLog.Error "second Ctrl-C: killing every child actor"
                          rt.KillAll()
                          Environment.Exit 130
              ) ]
