namespace TractorNet.Discovery

open System
open System.IO
open TractorNet
open TractorNet.Ipc
open TractorNet.Runtime

/// Where this process's registry is and what its connections prove: read once, at the first
/// use of discovery (so spawning never pays for it).
module internal DiscoverySettings =
    /// The registry address for this process and the actors it spawns afterwards (`uds:///path`
    /// or `tcp://host:port`); default: `registry.sock` in the per-user socket directory.
    [<Literal>]
    let RegistryVariable = "TRACTOR_REGISTRY"

    /// Set by a root that uses discovery, for the actors it spawns: its unique id (`getRoot`).
    [<Literal>]
    let RootVariable = "TRACTOR_ROOT_UID"

    /// The default registry address (not created).
    let defaultAddress () =
        IpcAddress.Uds(Path.Combine(UnixSocketDirectory.path (), "registry.sock"))

    /// The registry address this process uses.
    let registryAddress () : IpcAddress =
        match Environment.GetEnvironmentVariable RegistryVariable with
        | null
        | "" -> defaultAddress ()
        | text ->
            match IpcAddress.TryParseCore text with
            | Ok address -> address
            | Result.Error why -> raise (RegistryError $"{RegistryVariable}: {why}")

    /// The handshake options of a connection made or accepted by address: this actor's identity
    /// and the cookie's secret; failures are logged through the actor's log.
    let handshake (rt: ActorRuntime) =
        let identity = { Name = rt.Id.Name; Uid = rt.Id.Uid; Pid = Environment.ProcessId }
        HandshakeOptions(identity, Cookie.secret (), Log = Log.standardError)
