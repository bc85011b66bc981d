namespace TractorNet.Discovery.Etcd

open System
open TractorNet.Discovery

/// etcd as the registry of named actors: after `install`, a registry address
/// `etcd://host:port/prefix` (TRACTOR_REGISTRY or `useRegistry`) selects it. See docs/discovery.md.
[<AbstractClass; Sealed>]
type EtcdRegistry =
    /// <summary>Makes `etcd://` registry addresses select the etcd backend in this process (idempotent).
    /// Spawned actors that inherit such an address install it themselves.</summary>
    static member Install() : unit =
        RegistryBackends.register "etcd" (Func<string, IRegistry>(fun address -> EtcdBackend address :> IRegistry))

/// etcd as the registry of named actors, for F#.
module EtcdRegistry =
    /// <summary>Makes `etcd://` registry addresses select the etcd backend in this process (idempotent).</summary>
    let install () = EtcdRegistry.Install()
