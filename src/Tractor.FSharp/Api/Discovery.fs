namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks
open TractorNet.Discovery
open TractorNet.Ipc
open TractorNet.Runtime

/// Discovery's plumbing shared by the F# operations and the C# facade (docs/discovery.md).
module internal DiscoveryCore =
    let mutable private rootPublished = 0

    /// A root that uses discovery is published itself (so `getRoot ()` finds it from its
    /// actors), and tells the actors it spawns from now on its id. A child pays nothing here.
    let ensureRoot () : Task =
        let rt = ActorRuntime.Current

        if rt.Parent.IsNone && Interlocked.Exchange(&rootPublished, 1) = 0 then
            Environment.SetEnvironmentVariable(DiscoverySettings.RootVariable, rt.Id.Uid)
            AddressServer.publish () :> Task
        else
            Task.CompletedTask

    /// A portal to the actor of `entry`: our own portal for our own entry, else a peer portal
    /// over a connection by address. Raises StaleEntryException when nobody answers there.
    let portalOf (entry: ActorEntry) : Task<Portal> =
        let rt = ActorRuntime.Current

        if entry.Uid = rt.Id.Uid then
            Task.FromResult(Actor.portal ())
        else
            task {
                let! p = PeerConnections.get rt entry
                return Portal(Unchecked.defaultof<ChildActor>, { Name = entry.Name; Uid = entry.Uid }, rt.Codec, p, entry.Pid)
            }

    /// The first entry that leads to a live actor, dropping the stale ones on the way.
    let rec firstLive (registry: IRegistry) (entries: ActorEntry list) : Task<Portal option> =
        task {
            match entries with
            | [] -> return None
            | e :: rest ->
                let! found =
                    task {
                        try
                            let! p = portalOf e
                            return Some p
                        with :? StaleEntryException as s ->
                            LayerLog.Debug $"{s.Message}: dropping it"
                            do! registry.Unregister e.Uid
                            return None
                    }

                match found with
                | Some p -> return Some p
                | None -> return! firstLive registry rest
        }

    let findActor (name: string) : Task<Portal option> =
        task {
            do! ensureRoot ()
            let registry = Registries.current ()
            let! entries = registry.Lookup name
            return! firstLive registry entries
        }

    let waitForActor (name: string) (ct: CancellationToken) : Task<Portal> =
        task {
            do! ensureRoot ()
            let registry = Registries.current ()
            let mutable found = None

            while found.IsNone do
                let! entry = registry.WaitFor(name, ct)

                match! firstLive registry [ entry ] with
                | Some p -> found <- Some p
                | None -> () // it was stale (and is dropped now): wait for the next one

            return found.Value
        }

    let queryActor (name: string) : Task<IpcAddress option> =
        task {
            do! ensureRoot ()
            let! entries = (Registries.current ()).Lookup name
            return entries |> List.tryHead |> Option.map (fun e -> IpcAddress.Parse e.Address)
        }

    let getRegistry () : Task<Portal> =
        task {
            do! ensureRoot ()
            let rt = ActorRuntime.Current

            match Registries.builtin () with
            | None -> return raise (RegistryError $"the registry at {Registries.address ()} is not an actor (only the built-in registrar is)")
            | Some builtin ->
                match! builtin.RegistrarPeer() with
                | ValueNone -> return Actor.portal ()
                | ValueSome(struct (p, pid)) -> return Portal(Unchecked.defaultof<ChildActor>, p.Remote, rt.Codec, p, pid)
        }

    let getRoot () : Task<Portal> =
        task {
            let rt = ActorRuntime.Current

            if rt.Parent.IsNone then
                do! ensureRoot ()
                return Actor.portal ()
            else
                match Environment.GetEnvironmentVariable DiscoverySettings.RootVariable with
                | null
                | "" ->
                    return
                        raise (
                            RegistryError
                                $"actor '{rt.Id}' cannot reach its root: the root had not used discovery when it spawned this branch of the tree (call getRoot/findActor/publishActor in the root first)"
                        )
                | uid ->
                    let registry = Registries.current ()
                    let! all = registry.List()

                    match! firstLive registry (all |> List.filter (fun e -> e.Uid = uid)) with
                    | Some p -> return p
                    | None -> return raise (RegistryError $"the root of actor '{rt.Id}' (uid {uid}) is not registered any more")
        }

    let publishActor () : Task<ActorEntry> =
        task {
            do! ensureRoot ()
            let rt = ActorRuntime.Current
            let! e = AddressServer.publish ()
            // Unregistered when the actor is cancelled; when its process ends, its registrar
            // connection closes and the registrar drops the entry anyway.
            rt.Token.Register(fun () -> AddressServer.unpublish () |> ignore) |> ignore
            return e
        }

    /// The modules a discoverable daemon enables: the caller's and the publishing calls.
    let discoverableModules (enableModules: string seq) =
        Seq.append enableModules [ PublishCalls.ModuleName ] |> List.ofSeq

    /// Registers a daemon just spawned with `discoverableModules` under its name; it unregisters
    /// when it is cancelled.
    let publishSpawned (portal: Portal) (ct: CancellationToken) : Task =
        task {
            // The hold call runs until the child is cancelled, then unregisters it before the
            // child acknowledges; its outcome is of no interest (a killed child just breaks it).
            let hold = portal.RunMethod<unit>(FunctionRefs.ofQuotation <@ fun () -> PublishCalls.holdUntilCancelled () @>, CancellationToken.None)
            hold.ContinueWith(fun (t: Task) -> t.Exception |> ignore) |> ignore
            let! _ = portal.RunMethod<string>(FunctionRefs.ofQuotation <@ fun () -> PublishCalls.publish () @>, ct)
            ()
        }

    let startDiscoverableActor (n: ActorNursery) (name: string) (enableModules: string seq) (logLevel: LogLevel) : Task<Portal> =
        task {
            do! ensureRoot ()
            let! portal = n.StartActorAsync(name, discoverableModules enableModules, logLevel)
            do! publishSpawned portal n.Token
            return portal
        }

/// <summary>Discovery by name (tractor's <c>find_actor</c>, <c>wait_for_actor</c>,
/// <c>query_actor</c>, <c>get_registry</c>, <c>get_root</c>), callable unqualified after <c>open
/// TractorNet</c>. An actor is found once it is discoverable: started with
/// <c>startDiscoverableActor</c>, or published with <c>publishActor ()</c>. A portal reached this
/// way is a peer's: calls, contexts and streams work as on any portal, its failures are
/// <c>RemoteActorError</c> / <c>TransportClosedError</c> at the call site, and it is never
/// cancelled or reaped by us. The registry and the cookie that every connection proves are
/// described in docs/discovery.md.</summary>
[<AutoOpen; AbstractClass; Sealed>]
type DiscoveryOps =
    /// <summary>A portal to a live actor registered as <c>name</c>, or None. Several actors under
    /// one name: the earliest registered that is still alive. Our own name gives <c>Actor.portal
    /// ()</c>.</summary>
    static member findActor(name: string) : Task<Portal option> =
        ArgumentException.ThrowIfNullOrEmpty name
        DiscoveryCore.findActor name

    /// <summary>Waits until an actor registers as <c>name</c> (woken by its registration, no
    /// polling) and returns a portal to it; the ambient cancel scope cancels the wait.</summary>
    static member waitForActor(name: string) : Task<Portal> =
        ArgumentException.ThrowIfNullOrEmpty name
        DiscoveryCore.waitForActor name CancelScope.CurrentToken

    /// <summary>Like <c>waitForActor name</c>, also cancelled by <c>cancellationToken</c>.</summary>
    static member waitForActor(name: string, cancellationToken: CancellationToken) : Task<Portal> =
        ArgumentException.ThrowIfNullOrEmpty name
        task {
            use linked = CancellationTokenSource.CreateLinkedTokenSource(CancelScope.CurrentToken, cancellationToken)
            return! DiscoveryCore.waitForActor name linked.Token
        }

    /// <summary>The address of the actor registered as <c>name</c> (the earliest registered), or
    /// None.</summary>
    static member queryActor(name: string) : Task<IpcAddress option> =
        ArgumentException.ThrowIfNullOrEmpty name
        DiscoveryCore.queryActor name

    /// <summary>Every registration the registry holds (for tools such as <c>dotnet tractor
    /// tree</c>). Unlike the lookups it does not publish a root that calls it.</summary>
    static member listActors() : Task<ActorEntry list> = (Registries.current ()).List()

    /// <summary>A portal to the registrar actor (our own portal when this actor is the registrar).
    /// Its connection serves only the registry's own calls.</summary>
    static member getRegistry() : Task<Portal> = DiscoveryCore.getRegistry ()

    /// <summary>A portal to the root actor of this tree (our own at the root). The root must have
    /// used discovery before it spawned this branch of the tree.</summary>
    static member getRoot() : Task<Portal> = DiscoveryCore.getRoot ()

    /// <summary>Makes the current actor discoverable: serves it by address and registers it under
    /// its name until it ends (also when it is cancelled). Returns its registry entry.</summary>
    static member publishActor() : Task<ActorEntry> = DiscoveryCore.publishActor ()

    /// <summary>Uses the registry at <c>address</c> (<c>uds:///path</c>, <c>tcp://host:port</c>, or
    /// <c>etcd://host:port/prefix</c> after <c>EtcdRegistry.install ()</c> of Tractor.Discovery.Etcd)
    /// in this actor and the actors it spawns from now on (as <c>TRACTOR_REGISTRY</c> does). Call
    /// it before the first use of discovery; changing it afterwards raises
    /// InvalidOperationException.</summary>
    static member useRegistry(address: string) : unit =
        // A backend's address (etcd://…) is its own; ours are normalised.
        if address.StartsWith("uds://", StringComparison.Ordinal) || address.StartsWith("tcp://", StringComparison.Ordinal) || not (address.Contains "://") then
            Registries.useAddress (string (IpcAddress.Parse address))
        else
            Registries.useAddress address

    /// <summary>Uses <c>cookie</c> (at least 16 characters) instead of the per-user cookie file, in
    /// this actor and the actors it spawns from now on (as <c>TRACTOR_COOKIE</c> does): give
    /// programs or hosts that must find each other the same one. Connections made from now on prove
    /// it.</summary>
    static member useCookie(cookie: string) : unit =
        if isNull cookie || cookie.Length < 16 then
            invalidArg "cookie" "a discovery cookie must have at least 16 characters"

        Environment.SetEnvironmentVariable(Cookie.EnvironmentVariable, cookie)

    /// <summary>Runs every TCP connection of this actor and the actors it spawns from now on inside
    /// TLS (as <c>TRACTOR_TLS_CERT</c>, <c>TRACTOR_TLS_KEY</c> and <c>TRACTOR_TLS_CA</c> do): both
    /// ends present their certificate, and a peer's is trusted when it is this one (one certificate
    /// shared by every host), chains to the authorities in <c>authorityPath</c>, or is trusted by the
    /// system for its host name. The cookie is still proved inside the session. See docs/discovery.md.</summary>
    /// <param name="certificatePath">A PEM certificate.</param>
    /// <param name="keyPath">Its PEM private key (null if the certificate file holds it).</param>
    /// <param name="authorityPath">PEM certificates of the authorities whose certificates to trust (optional).</param>
    /// <exception cref="T:System.InvalidOperationException">This actor already made or accepted a TCP connection.</exception>
    /// <exception cref="T:TractorNet.Ipc.IpcException">The files cannot be loaded, or the certificate has no private key.</exception>
    static member useTls(certificatePath: string, keyPath: string, ?authorityPath: string) : unit =
        if String.IsNullOrEmpty certificatePath then
            invalidArg "certificatePath" "a TLS certificate path is required"

        TlsSettings.useFiles certificatePath keyPath (defaultArg authorityPath null)

    /// <summary>Starts a daemon actor like <c>startActor</c>, discoverable by its name from any
    /// actor that shares the registry and cookie; the portal is returned once it is registered.
    /// Cancelled or ended, it unregisters before it exits.</summary>
    static member startDiscoverableActor(name: string, enableModules: string list) : NurseryOp<Portal> =
        fun n -> DiscoveryCore.startDiscoverableActor n name enableModules (Log.current ())
