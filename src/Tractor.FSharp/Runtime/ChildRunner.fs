namespace TractorNet.Runtime

open System
open System.IO
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc
open TractorNet.Spawning

/// The child side of an actor process: take up the inherited channel to the parent, apply the
/// spawn spec, serve calls until told to cancel (or until the parent is gone), then reap own
/// children, acknowledge and exit.
module internal ChildRunner =
    /// Exits the process after `delay` unless it has exited already: the backstop when a
    /// graceful cancel does not finish (a call blocked in synchronous code).
    let private exitAfter (delay: TimeSpan) (code: int) =
        Thread(
            (fun () ->
                Thread.Sleep delay
                Environment.Exit code),
            IsBackground = true
        )
            .Start()

    /// Runs the actor on the process's main thread, blocking it: the start path has no async
    /// state machine of its own (each would be JIT-compiled before the first call), and the main
    /// thread has nothing else to do. Returns the exit code.
    /// `installDebugger` sets up the debugger (Devx/) over the link to the parent when the tree
    /// runs in debug mode.
    let run (name: string) (installDebugger: ActorRuntime -> IMessageLink -> unit) : int =
        let warmup = StartupWarmup.start ()
        // Byte by byte from descriptor 0: nothing after the line is consumed (the rest of
        // standard input is the lifeline), and System.Console is not needed.
        let l = Native.readLine 0
        let boot = Bootstrap.decode l
        SpawnTrace.mark "child.bootstrap"
        Lifeline.armParentDeathSignal boot.ParentPid

        // A root's child leads the group its descendants share (before it can start any), which
        // the root kills whole when this process exits (ChildProcess). Below the root, an actor
        // stays in the group it was forked into. A group, not a new session: Linux gives each
        // session a scheduler autogroup of its own, and a child in another autogroup than its
        // parent answered round trips 2-3x slower under load (context.pingpong 0.25-0.37 of raw,
        // against ~0.7). A background group gets no job-control stops here: it never reads the
        // terminal (standard input is the lifeline pipe), and writing would stop it only under
        // `stty tostop`, whose SIGTTOU the group ignores (descendants inherit that across exec).
        if boot.LeadsGroup then
            Native.newProcessGroup () |> ignore
            Native.ignoreSignal Native.SIGTTOU

        Log.setActor (name, boot.Uid)
        // The runtime's settings for channels (its own instance is made once the spec names the actor).
        let channelOptions = ChannelOptions(Log = Log.standardError)
        Native.closeOnExec boot.ChannelFd
        let channel = new Channel(new DescriptorConnection(boot.ChannelFd, "(actor)", "(parent)"), channelOptions)

        // SIGTERM/SIGINT handlers and the standard-input lifeline start once the actor serves:
        // setting them up (the runtime's signal thread, a stdin stream) competed for the cores
        // with the start path. Until then PDEATHSIG (armed above, parent pid checked) covers the
        // parent's death, and a SIGTERM simply terminates the starting process. A warm pool's
        // process sets them up before it waits (off the path of its first call): until it has
        // a runtime, the parent's end or SIGTERM simply ends it.
        // Set by the SIGTERM handler: the exit code then says so (143, as if killed by it), so
        // the parent can tell "stopped from outside" from an exit of the actor's own.
        let terminated = ref false
        // The runtime, once the spec has named the actor (read by the lifeline's callbacks).
        let runtime: ActorRuntime option ref = ref None

        let watchParent () =
            Lifeline.watchParent
                (fun () ->
                    LayerLog.Debug "parent gone (standard input closed): cancelling"

                    match runtime.Value with
                    | None -> exit 0
                    | Some rt ->
                        rt.Cancel()
                        exitAfter (rt.Ladder.Graceful + rt.Ladder.Terminate) 1)
                (fun () ->
                    LayerLog.Debug "SIGTERM: cancelling"
                    terminated.Value <- true

                    match runtime.Value with
                    | None -> exit 143
                    | Some rt ->
                        rt.Cancel()
                        exitAfter (TimeSpan.FromMilliseconds 300.0) 143)

        // A warm pool's process: once the call path is warm, say so and wait (idle, for as long
        // as the pool keeps it) for the spec that makes it an actor. A closed channel means the
        // pool let it go: exit quietly. (PDEATHSIG and the lifeline cover the parent's death meanwhile.)
        if boot.Pooled then
            warmup.Join()
            PooledWarmup.run channelOptions
            watchParent ()
            channel.SendAsync(WarmSignal.frame).AsTask().GetAwaiter().GetResult()
            SpawnTrace.mark "child.warm"

        // A new process: the parent queued the spec before we started, so this read does not wait.
        let more =
            try
                channel.ReceiveAsync().AsTask().GetAwaiter().GetResult()
            with _ when boot.Pooled ->
                false

        if not more && boot.Pooled then
            channel.Abort null
            exit 0

        let spec =
            match (if more then ValueSome(MessageCodec.deserialize (Buffers.ReadOnlySequence channel.Current)) else ValueNone) with
            | ValueSome(Spawn spec) -> spec
            | other -> failwith $"expected a spawn spec from the parent, got {other}"

        // The actor's identity is the spec's (a pooled process learns it only now).
        let id = spec.Actor
        Log.setActor (id.Name, id.Uid)
        let rt = new ActorRuntime(id, None, Convert.FromBase64String boot.Secret)
        ActorRuntime.InstallChild rt
        runtime.Value <- Some rt

        channel.SetPeer { Name = spec.Parent.Name; Uid = spec.Parent.Uid; Pid = boot.ParentPid }
        rt.EnabledModules <- spec.EnabledModules
        rt.Parent <- Some spec.Parent
        Log.setLevel (enum<LogLevel> spec.LogLevel)
        rt.Ladder <- { Graceful = TimeSpan.FromMilliseconds(float spec.GracefulMs); Terminate = TimeSpan.FromMilliseconds(float spec.TerminateMs) }

        SpawnTrace.mark "child.spec"
        let link = ChannelLink(channel, rt.Serializer) :> IMessageLink

        if spec.DebugMode then
            installDebugger rt link

        // Records to the parent (and on to the root's ILoggerFactory) instead of standard error, if the root asked.
        let forwarder =
            if spec.LogToParent then
                let f = LogForwarder(link.Send, 4096, 256)
                Log.setSink (Action<LogEntry> f.Enqueue)
                ValueSome f
            else
                ValueNone

        link.Send(Ready).AsTask().GetAwaiter().GetResult()
        let cancelRequested = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

        let onControl (msg: Message) =
            match msg with
            | CancelActor ->
                LayerLog.Debug "cancel requested by the parent"
                cancelRequested.TrySetResult() |> ignore
                rt.Cancel()
            | Debug(route, payload) when not (isNull DebugHooks.Current) -> DebugHooks.Current.FromParent(route, payload)
            | other -> LayerLog.Warn $"unexpected message from the parent: {other}"

        let peer = Peer(link, id, rt.Codec, (fun () -> rt.EnabledModules :> _), rt.Token, onControl)
        peer.Start()

        if not boot.Pooled then
            watchParent ()

        SpawnTrace.mark "child.serving"
        let cancelled = Task.Delay(Timeout.Infinite, rt.Token)
        Task.WaitAny(cancelRequested.Task, peer.Closed, cancelled) |> ignore
        rt.Cancel()
        // Running calls end (their nested nurseries reap our own children) before we ack.
        peer.Drain().GetAwaiter().GetResult()

        match forwarder with
        | ValueSome f -> f.Flush(TimeSpan.FromSeconds 1.0).Wait()
        | ValueNone -> ()

        try
            link.Send(CancelActorAck).AsTask().Wait(TimeSpan.FromSeconds 1.0) |> ignore
            channel.CloseAsync().Wait(TimeSpan.FromSeconds 1.0) |> ignore
        with _ ->
            ()

        if terminated.Value then 128 + Native.SIGTERM else 0
