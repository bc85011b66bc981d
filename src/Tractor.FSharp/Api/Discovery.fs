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
                            Log.debug $"{s.Message}: dropping it"
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

    let startDiscoverableActor (n: ActorNursery) (name: string) (enableModules: string seq) (logLevel: LogLevel) : Task<Portal> =
        task {
            do! ensureRoot ()
            let modules = Seq.append enableModules [ PublishCalls.ModuleName ] |> List.ofSeq
            let! portal = n.StartActorAsync(name, modules, logLevel)
            // The hold call runs until the child is cancelled, then unregisters it before the
            // child acknowledges; its outcome is of no interest (a killed child just breaks it).
            let hold = portal.RunMethod<unit>(FunctionRefs.ofQuotation <@ fun () -> PublishCalls.holdUntilCancelled () @>, CancellationToken.None)
            hold.ContinueWith(fun (t: Task) -> t.Exception |> ignore) |> ignore
            let! _ = portal.RunMethod<string>(FunctionRefs.ofQuotation <@ fun () -> PublishCalls.publish () @>, n.Token)
            return portal
        }

/// Discovery by name (tractor's `find_actor`, `wait_for_actor`, `query_actor`, `get_registry`,
/// `get_root`), callable unqualified after `open TractorNet`. An actor is found once it is
/// discoverable: started with `startDiscoverableActor`, or published with `publishActor ()`.
/// A portal reached this way is a peer's: calls, contexts and streams work as on any portal,
/// its failures are `RemoteActorError` / `TransportClosedError` at the call site, and it is
/// never cancelled or reaped by us. The registry and the cookie that every connection proves
/// are described in docs/discovery.md.
[<AutoOpen; AbstractClass; Sealed>]
type DiscoveryOps =
    /// A portal to a live actor registered as `name`, or None. Several actors under one name:
    /// the earliest registered that is still alive. Our own name gives `Actor.portal ()`.
    static member findActor(name: string) : Task<Portal option> =
        ArgumentException.ThrowIfNullOrEmpty name
        DiscoveryCore.findActor name

    /// Waits until an actor registers as `name` (woken by its registration, no polling) and
    /// returns a portal to it; the ambient cancel scope cancels the wait.
    static member waitForActor(name: string) : Task<Portal> =
        ArgumentException.ThrowIfNullOrEmpty name
        DiscoveryCore.waitForActor name CancelScope.CurrentToken

    /// Like `waitForActor name`, also cancelled by `cancellationToken`.
    static member waitForActor(name: string, cancellationToken: CancellationToken) : Task<Portal> =
        ArgumentException.ThrowIfNullOrEmpty name
        task {
            use linked = CancellationTokenSource.CreateLinkedTokenSource(CancelScope.CurrentToken, cancellationToken)
            return! DiscoveryCore.waitForActor name linked.Token
        }

    /// The address of the actor registered as `name` (the earliest registered), or None.
    static member queryActor(name: string) : Task<IpcAddress option> =
        ArgumentException.ThrowIfNullOrEmpty name
        DiscoveryCore.queryActor name

    /// Every registration the registry holds (for tools such as `dotnet tractor tree`). Unlike
    /// the lookups it does not publish a root that calls it.
    static member listActors() : Task<ActorEntry list> = (Registries.current ()).List()

    /// A portal to the registrar actor (our own portal when this actor is the registrar). Its
    /// connection serves only the registry's own calls.
    static member getRegistry() : Task<Portal> = DiscoveryCore.getRegistry ()

    /// A portal to the root actor of this tree (our own at the root). The root must have used
    /// discovery before it spawned this branch of the tree.
    static member getRoot() : Task<Portal> = DiscoveryCore.getRoot ()

    /// Makes the current actor discoverable: serves it by address and registers it under its
    /// name until it ends (also when it is cancelled). Returns its registry entry.
    static member publishActor() : Task<ActorEntry> = DiscoveryCore.publishActor ()

    /// Uses the registry at `address` (`uds:///path`, `tcp://host:port`, or `etcd://host:port/prefix`
    /// after `EtcdRegistry.install ()` of Tractor.Discovery.Etcd) in this actor and the
    /// actors it spawns from now on (as `TRACTOR_REGISTRY` does). Call it before the first use of
    /// discovery; changing it afterwards raises InvalidOperationException.
    static member useRegistry(address: string) : unit =
        // A backend's address (etcd://…) is its own; ours are normalised.
        if address.StartsWith("uds://", StringComparison.Ordinal) || address.StartsWith("tcp://", StringComparison.Ordinal) || not (address.Contains "://") then
            Registries.useAddress (string (IpcAddress.Parse address))
        else
            Registries.useAddress address

    /// Uses `cookie` (at least 16 characters) instead of the per-user cookie file, in this actor
    /// and the actors it spawns from now on (as `TRACTOR_COOKIE` does): give programs or hosts
    /// that must find each other the same one. Connections made from now on prove it.
    static member useCookie(cookie: string) : unit =
        if isNull cookie || cookie.Length < 16 then
            invalidArg "cookie" "a discovery cookie must have at least 16 characters"

        Environment.SetEnvironmentVariable(Cookie.EnvironmentVariable, cookie)

    /// Starts a daemon actor like `startActor`, discoverable by its name from any actor that
    /// shares the registry and cookie; the portal is returned once it is registered. Cancelled
    /// or ended, it unregisters before it exits.
    static member startDiscoverableActor(name: string, enableModules: string list) : NurseryOp<Portal> =
        fun n -> DiscoveryCore.startDiscoverableActor n name enableModules (Log.current ())
