namespace TractorNet.Discovery

open System
open System.Collections.Concurrent
open System.Diagnostics
open System.IO
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open TractorNet
open TractorNet.Ipc
open TractorNet.Runtime

/// The registrar this process hosts: the lock that made it the registrar, the server at the
/// registry address, and the table.
type internal RegistrarHost(lockFile: FileStream, server: IpcServer, registrar: Registrar) =
    member _.Registrar = registrar
    member _.Server = server

    /// Stops serving and gives the role up (the lock goes last, so the next registrar binds
    /// an address nobody serves).
    member _.DisposeAsync() : Task =
        task {
            RegistrarCalls.hosted <- Unchecked.defaultof<_>
            do! server.DisposeAsync()

            if not (isNull lockFile) then
                lockFile.Dispose()
        }

/// Where the registry is for this process right now: hosted here, or behind a connection.
[<NoComparison; NoEquality>]
type internal RegistrarAt =
    | Here of RegistrarHost
    | Remote of Peer

/// The built-in registry (tractor's registrar, without its races): the registrar is whichever
/// process holds the registry address. The OS arbitrates: for a Unix socket address an
/// exclusive lock on `<address>.lock` (flock, released by the kernel when its holder dies, even
/// by SIGKILL) decides who binds the socket; a TCP address is arbitrated by bind itself. Whoever
/// wins serves; the others connect. A registration belongs to the connection that made it: the
/// registrar drops it when that connection closes. When the registrar goes, every process that
/// registered something runs the same rule again (one takes over, the rest connect to it) and
/// re-registers what it hosts.
/// The registrar's functions, described once: a lookup then costs its message, not a quotation.
module private RegistrarFunctions =
    let register = FunctionRefs.ofFunction <@ RegistrarCalls.register @> 1
    let unregister = FunctionRefs.ofFunction <@ RegistrarCalls.unregister @> 1
    let lookup = FunctionRefs.ofFunction <@ RegistrarCalls.lookup @> 1
    let waitFor = FunctionRefs.ofFunction <@ RegistrarCalls.waitFor @> 1
    let list = FunctionRefs.ofFunction <@ RegistrarCalls.list @> 1

type internal BuiltinRegistry(rt: ActorRuntime, address: IpcAddress) =
    let gate = new SemaphoreSlim(1, 1)
    // Both guarded by `gate`.
    let mutable host: RegistrarHost = Unchecked.defaultof<_>
    let mutable peer: Peer = Unchecked.defaultof<_>
    let mutable peerPid = 0
    /// Whether this process had a registrar before: only a new one needs our entries again.
    let mutable hadRegistrar = false
    /// What this process registered, to register again with a new registrar (uid, name → entry).
    let mine = ConcurrentDictionary<struct (string * string), ActorEntry>()
    /// Live registrar connections per peer uid (on the hosting side): a registration is dropped
    /// when the last connection of its actor closes.
    let connections = ConcurrentDictionary<string, int>()

    let ignoreControl (m: Message) =
        LayerLog.Warn $"a discovery peer sent the control message {m}: ignored (only a parent controls its child)"

    /// How long a process looks for a registrar (binding or connecting) before it gives up.
    static member val SettleTimeout = TimeSpan.FromSeconds 10.0 with get, set

    /// Serves one authenticated connection to the registrar.
    member private _.ServeRegistrarConnection(registrar: Registrar, channel: Channel) : Task =
        task {
            let uid = channel.Peer.Uid
            connections.AddOrUpdate(uid, 1, (fun _ n -> n + 1)) |> ignore
            let link = ChannelLink(channel, rt.Serializer) :> IMessageLink
            let p = Peer(link, rt.Id, rt.Codec, (fun () -> Seq.singleton RegistrarCalls.ModuleName), rt.Token, ignoreControl)
            p.Start()
            do! p.Closed

            if connections.AddOrUpdate(uid, 0, (fun _ n -> n - 1)) <= 0 then
                connections.TryRemove uid |> ignore
                registrar.Unregister uid
        }

    /// Takes the registrar role if nobody holds it; None if someone does.
    member private this.TryHost() : RegistrarHost option =
        // An actor that is ending does not take the role up (it would drop it again at once).
        if rt.Token.IsCancellationRequested then None else

        let lockFile =
            match address with
            | IpcAddress.Uds path ->
                if Path.GetDirectoryName path = UnixSocketDirectory.path () then
                    UnixSocketDirectory.ensure () |> ignore

                try
                    // FileShare.None takes flock(LOCK_EX | LOCK_NB) on Unix: one holder at a time.
                    new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                with :? IOException ->
                    null
            | IpcAddress.Tcp _ -> null

        match address, lockFile with
        | IpcAddress.Uds _, null -> None
        | _ ->
            let registrar = Registrar()

            try
                // Under the lock a socket file left by a dead registrar is replaced (Listen does it).
                let server =
                    IpcServer.Start(
                        address,
                        DiscoverySettings.handshake rt,
                        rt.ChannelOptions,
                        Func<Channel, Task>(fun ch -> this.ServeRegistrarConnection(registrar, ch))
                    )

                RegistrarCalls.hosted <- registrar
                LayerLog.Debug $"this actor is the registrar at {address}"
                let hosting = RegistrarHost(lockFile, server, registrar)
                // Cancelled, the registrar gives the role up at once (its connections close, the
                // others take over) rather than refuse calls while it winds down.
                rt.Token.Register(fun () -> this.DisposeAsync() |> ignore) |> ignore
                // A process that just exits removes the socket file too (the lock goes with it).
                AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> server.DisposeAsync() |> ignore)
                Some hosting
            with :? IpcException as e ->
                if not (isNull lockFile) then
                    lockFile.Dispose()

                LayerLog.Debug $"not the registrar at {address}: {e.Message}"
                None

    /// Connects to the registrar; None if nobody accepts there (yet).
    member private this.TryConnect() : Task<(Peer * int) option> =
        task {
            try
                let! channel = IpcClient.ConnectAsync(address, DiscoverySettings.handshake rt, rt.ChannelOptions, CancellationToken.None)
                let link = ChannelLink(channel, rt.Serializer) :> IMessageLink
                let p = Peer(link, rt.Id, rt.Codec, (fun () -> Seq.empty), rt.Token, ignoreControl)
                p.Start()
                p.Closed.ContinueWith(fun (_: Task) -> this.Lost p |> ignore) |> ignore
                return Some(p, channel.Peer.Pid)
            with
            | :? ConnectException -> return None
            | :? HandshakeException as e ->
                return raise (RegistryError($"the registry at {address} refused this actor: {e.Message} (do both programs use the same cookie, and over TCP both TLS or neither? see {Cookie.EnvironmentVariable}, {TractorNet.Ipc.TlsSettings.CertificateVariable})", e))
        }

    /// The registrar connection `lost` closed: forget it, and if this process has registrations,
    /// find the registrar again at once (taking over if it is gone) to re-register them.
    member private this.Lost(lost: Peer) : Task =
        task {
            do! gate.WaitAsync()

            try
                if obj.ReferenceEquals(peer, lost) then
                    peer <- Unchecked.defaultof<_>
            finally
                gate.Release() |> ignore

            let mutable attempts = 0

            // A registrar found while it winds down may go at once: a few rounds, each bounded.
            while attempts < 5 && not mine.IsEmpty && not rt.Token.IsCancellationRequested do
                attempts <- attempts + 1
                LayerLog.Debug $"the registrar at {address} is gone; re-registering {mine.Count} entr(y/ies)"

                try
                    let! _ = this.Ensure()
                    attempts <- Int32.MaxValue
                with e ->
                    LayerLog.Warn $"could not re-register with a registrar at {address}: {e.Message}"
                    do! Task.Delay 100
        }

    /// The registrar: hosted here or connected, settling who hosts it by the bind rule.
    member this.Ensure() : Task<RegistrarAt> =
        task {
            do! gate.WaitAsync()

            try
                if not (isNull (box host)) then
                    return Here host
                elif not (isNull (box peer)) && not peer.Closed.IsCompleted then
                    return Remote peer
                else
                    let clock = Stopwatch.StartNew()
                    let mutable found = None
                    let mutable pause = 5

                    // Our entries go again to a new registrar (the first one gets them from the
                    // Register calls that are bringing us here).
                    let again = hadRegistrar
                    hadRegistrar <- true

                    while found.IsNone do
                        match this.TryHost() with
                        | Some h ->
                            host <- h

                            if again then
                                for e in mine.Values do
                                    h.Registrar.Register e

                            found <- Some(Here h)
                        | None ->
                            match! this.TryConnect() with
                            | Some(p, pid) ->
                                peer <- p
                                peerPid <- pid

                                if again then
                                    for e in mine.Values do
                                        do! this.CallOn<unit>(p, RegistrarFunctions.register.With(box e), CancellationToken.None)

                                found <- Some(Remote p)
                            | None when clock.Elapsed > BuiltinRegistry.SettleTimeout ->
                                raise (RegistryError $"no registrar at {address} within {BuiltinRegistry.SettleTimeout}: it is held but nobody accepts connections there")
                            | None ->
                                // The lock's holder is between taking it and listening.
                                do! Task.Delay pause
                                pause <- min 100 (pause * 2)

                    return found.Value
            finally
                gate.Release() |> ignore
        }

    /// Calls a registrar function over `p` and decodes its value.
    member private _.CallOn<'T>(p: Peer, call: PreparedCall, ct: CancellationToken) : Task<'T> =
        task {
            let args = Arguments.encode rt.Codec call
            let! payload = p.Call(call.Function, args, ct)
            return rt.Codec.Decode(typeof<'T>, payload) :?> 'T
        }

    /// Runs a registry operation on the registrar, wherever it is; a registrar that goes away
    /// under the call is replaced (by the bind rule) and the call made again.
    member private this.Run<'T>(call: PreparedCall, here: Registrar -> Task<'T>, ct: CancellationToken) : Task<'T> =
        task {
            let mutable result = None
            let mutable attempts = 0

            while result.IsNone do
                ct.ThrowIfCancellationRequested()
                attempts <- attempts + 1

                match! this.Ensure() with
                | Here h ->
                    let! v = here h.Registrar
                    result <- Some v
                | Remote p ->
                    try
                        let! v = this.CallOn<'T>(p, call, ct)
                        result <- Some v
                    with
                    | :? TransportClosedError as e when attempts < 5 && not ct.IsCancellationRequested ->
                        LayerLog.Debug $"the registrar connection closed during a call ({e.Message}); finding the registrar again"
                        do! this.Lost p
                    | :? RemoteActorError as e when
                        attempts < 5 && not ct.IsCancellationRequested && e.TypeName.EndsWith "CanceledException"
                        ->
                        // The registrar's actor is being cancelled: it gives the role up; find the next.
                        LayerLog.Debug $"the registrar is ending ({e.Message}); finding the registrar again"
                        do! p.DisposeAsync()
                        do! this.Lost p

            return result.Value
        }

    /// The connection to the registrar and its pid; ValueNone when this process hosts it.
    member this.RegistrarPeer() : Task<struct (Peer * int) voption> =
        task {
            match! this.Ensure() with
            | Here _ -> return ValueNone
            | Remote p -> return ValueSome(struct (p, peerPid))
        }

    /// Stops hosting the registrar (this actor is ending): the others take over.
    member _.DisposeAsync() : Task =
        task {
            do! gate.WaitAsync()

            try
                if not (isNull (box host)) then
                    do! host.DisposeAsync()
                    host <- Unchecked.defaultof<_>
            finally
                gate.Release() |> ignore
        }

    interface IRegistry with
        member _.Address = string address

        member this.Register(entry) =
            mine[struct (entry.Uid, entry.Name)] <- entry
            this.Run<unit>(RegistrarFunctions.register.With(box entry), (fun r -> task { r.Register entry }), CancellationToken.None) :> Task

        member this.Unregister(uid) =
            for KeyValue(key, e) in mine do
                if e.Uid = uid then
                    mine.TryRemove key |> ignore

            this.Run<unit>(RegistrarFunctions.unregister.With(box uid), (fun r -> task { r.Unregister uid }), CancellationToken.None) :> Task

        member this.Lookup(name) =
            this.Run<ActorEntry list>(RegistrarFunctions.lookup.With(box name), (fun r -> Task.FromResult(r.Lookup name)), CancellationToken.None)

        member this.WaitFor(name, ct) =
            this.Run<ActorEntry>(RegistrarFunctions.waitFor.With(box name), (fun r -> r.WaitFor(name, ct)), ct)

        member this.List() =
            this.Run<ActorEntry list>(RegistrarFunctions.list, (fun r -> Task.FromResult(r.List())), CancellationToken.None)
