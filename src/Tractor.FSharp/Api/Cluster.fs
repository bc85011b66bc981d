namespace TractorNet

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open TractorNet.Discovery
open TractorNet.Runtime

/// Long-lived services and flat clusters: tractor's `run_daemon` and `open_actor_cluster`.
module internal ClusterCore =
    let runDaemon (name: string) (enableModules: string list) : Task =
        task {
            let rt = ActorRuntime.Current

            if rt.Parent.IsSome then
                invalidOp $"runDaemon makes this program's root actor a service; actor '{rt.Id}' is not a root (use startDiscoverableActor for a child)"

            ModuleNames.check enableModules
            rt.EnabledModules <- enableModules
            do! DiscoveryCore.ensureRoot ()
            let! entry = AddressServer.publish ()
            // The service's name is an extra registration of the root (one uid, one address):
            // unpublishing drops both.
            do! (Registries.current ()).Register { entry with Name = name }
            LayerLog.Info $"serving as '{name}' at {entry.Address} until cancelled (Ctrl-C)"

            try
                do! Task.Delay(Timeout.Infinite, rt.Token)
            with :? OperationCanceledException ->
                ()

            do! AddressServer.unpublish ()
        }

    let openActorCluster (enableModules: string seq) (count: int) (body: IReadOnlyDictionary<string, Portal> -> Task<'T>) : Task<'T> =
        if count < 1 then
            raise (ArgumentOutOfRangeException("count", count, "a cluster has at least one actor"))

        ActorNursery.Open(fun n ->
            task {
                let names = [| for i in 0 .. count - 1 -> $"worker_{i}" |]
                // Started together: the cluster is ready when the slowest is.
                let! portals = Task.WhenAll(names |> Array.map (fun name -> n.StartActorAsync(name, enableModules, Log.current ())))
                let map = Dictionary<string, Portal>()

                for name, portal in Array.zip names portals do
                    map[name] <- portal

                let! v = body map
                // Leaving the scope cancels every daemon; the nursery reaps them.
                let! _ = Task.WhenAll(portals |> Array.map (fun p -> p.CancelActor()))
                return v
            })

/// <summary>Long-lived services and flat clusters, callable unqualified after <c>open
/// TractorNet</c>.</summary>
[<AutoOpen; AbstractClass; Sealed>]
type ClusterOps =
    /// <summary>Runs this program's root actor as a service (tractor's <c>run_daemon</c>): peers
    /// may call the functions of <c>enableModules</c>; it is discoverable as <c>name</c> (and as
    /// <c>root</c>) and serves until cancelled (Ctrl-C, SIGTERM), then unregisters and returns. A
    /// long-lived service program is <c>runDaemon "my_service" [ "MyApp.Service" ]</c> in its main.</summary>
    static member runDaemon(name: string, enableModules: string list) : Task =
        ArgumentException.ThrowIfNullOrEmpty name
        ClusterCore.runDaemon name enableModules

    /// <summary>Starts <c>count</c> daemon actors named <c>worker_0</c> … enabled for
    /// <c>enableModules</c>, runs <c>body</c> with the name → portal map, then cancels them all
    /// (tractor's <c>open_actor_cluster</c>); it returns once every one has been reaped. The first
    /// error cancels the whole cluster.</summary>
    static member openActorCluster(enableModules: string list, count: int, body: IReadOnlyDictionary<string, Portal> -> Task<'T>) : Task<'T> =
        ClusterCore.openActorCluster enableModules count body

    /// <summary>A cluster of one daemon per core (<c>Environment.ProcessorCount</c>).</summary>
    static member openActorCluster(enableModules: string list, body: IReadOnlyDictionary<string, Portal> -> Task<'T>) : Task<'T> =
        ClusterCore.openActorCluster enableModules Environment.ProcessorCount body
