namespace TractorNet.Runtime

open System
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc
open TractorNet.Spawning
open TractorNet.Wire

/// A warm pool's process has time before it is handed out: it rehearses an actor's whole first
/// call, so that what a new process JIT-compiles after its spec (the channel link, the peer's
/// receive loop and dispatch, the call, its return on the wire) is compiled before the pool
/// calls it warm. The rehearsal plays both sides over an in-process socket pair: a stand-in
/// parent sends the call of a no-op, a throwaway Peer serves it over the same connection type
/// the real actor uses. It shares no state with the actor to come; a failure is ignored (the
/// real first call would then simply pay the cost itself).
module internal PooledWarmup =
    let private bound = TimeSpan.FromSeconds 10.0

    type private Anchor = class end

    // Results of the most common types: a call's path through the invoker and the codec is
    // compiled per result type (value types each their own), so the rehearsal calls each once.
    let int32Result () = Task.FromResult 0
    let int64Result () = Task.FromResult 0L
    let floatResult () = Task.FromResult 0.0
    let boolResult () = Task.FromResult false
    let stringResult () = Task.FromResult ""

    let private rehearsed () =
        let home = typeof<Anchor>.DeclaringType
        let find name = home.GetMethod(name, Reflection.BindingFlags.Static ||| Reflection.BindingFlags.Public ||| Reflection.BindingFlags.NonPublic)

        StartupWarmup.noopMethod ()
        :: [ for name in [ nameof int32Result; nameof int64Result; nameof floatResult; nameof boolResult; nameof stringResult ] -> find name ]

    /// Loads the application's own assembly (named by its deps file, the first the host
    /// loaded): the functions a pooled actor will run most likely live there.
    let private loadApplication () =
        match AppContext.GetData "APP_CONTEXT_DEPS_FILES" with
        | :? string as files ->
            match files.Split(';', StringSplitOptions.RemoveEmptyEntries) |> Array.tryFind (fun f -> not (f.Contains "/shared/Microsoft.")) with
            | Some deps ->
                let name = IO.Path.GetFileName(deps).Replace(".deps.json", "")
                Reflection.Assembly.Load(Reflection.AssemblyName name) |> ignore
            | None -> ()
        | _ -> ()

    /// Runs the rehearsal (blocking, bounded).
    let run (options: ChannelOptions) =
        try
            loadApplication ()
        with _ ->
            ()

        try
            let parentEnd, childEnd = Native.socketPair ()

            let parentChannel =
                try
                    // Not a SocketConnection: with System.Net.Sockets' connection here, the pooled process ended up
                    // with DiagnosticSource and ICU loaded (~3.5 MB, ActorFootprintTests under the pool), which an
                    // actor never needs unless someone traces.
                    new Channel(new DescriptorConnection(parentEnd, "(rehearsal parent)", "(rehearsal)"), options)
                with _ ->
                    Native.close parentEnd
                    Native.close childEnd
                    reraise ()

            let childChannel =
                try
                    new Channel(new DescriptorConnection(childEnd, "(rehearsal)", "(rehearsal parent)"), options)
                with _ ->
                    parentChannel.Abort null
                    Native.close childEnd
                    reraise ()

            let serializer = MsgPackSerializer.Default
            let codec = PayloadCodec serializer :> IPayloadCodec
            use stop = new CancellationTokenSource()
            try
                parentChannel.SetPeer { Name = "(rehearsal)"; Uid = ""; Pid = Environment.ProcessId }
                childChannel.SetPeer { Name = "(rehearsal parent)"; Uid = ""; Pid = Environment.ProcessId }
                let parent = ChannelLink(parentChannel, serializer) :> IMessageLink
                let child = ChannelLink(childChannel, serializer) :> IMessageLink
                let functions = rehearsed ()
                let modules = [ for m in functions -> m.DeclaringType.FullName ]
                let self = { Name = "(rehearsal)"; Uid = "" }
                let peer = Peer(child, self, codec, (fun () -> modules :> _), stop.Token, ignore)

                try
                    child.Send(Ready).AsTask().Wait bound |> ignore
                    peer.Start()
                    parent.Receive(stop.Token).AsTask().Wait bound |> ignore
                    functions
                    |> List.iteri (fun i m ->
                        parent.Send(Start(int64 (i + 1), FunctionRefs.ofMethod m, [], Unary, null)).AsTask().Wait bound |> ignore
                        parent.Receive(stop.Token).AsTask().Wait bound |> ignore)
                finally
                    stop.Cancel()
                    peer.Abort "rehearsal over"
            finally
                parentChannel.Abort null
                childChannel.Abort null
        with _ ->
            ()
