namespace TractorNet.Discovery

open System
open TractorNet
open TractorNet.Ipc
open TractorNet.Runtime

/// The registry of this process, made at its first use of discovery (never at spawn).
module internal Registries =
    let private gate = obj ()
    // Guarded by `gate`.
    let mutable private instance: BuiltinRegistry option = None

    /// The built-in registry at the configured address.
    let builtin () : BuiltinRegistry =
        lock gate (fun () ->
            match instance with
            | Some r -> r
            | None ->
                match Environment.GetEnvironmentVariable DiscoverySettings.RegistryVariable with
                | null -> ()
                | text when text.StartsWith("etcd://", StringComparison.Ordinal) ->
                    raise (RegistryError $"{DiscoverySettings.RegistryVariable}={text}: the etcd registry backend is not available in this build yet")
                | _ -> ()

                let r = BuiltinRegistry(ActorRuntime.Current, DiscoverySettings.registryAddress ())
                instance <- Some r
                r)

    /// The registry this process uses.
    let current () : IRegistry = builtin () :> IRegistry

    /// Sets the registry address for this process and the actors it spawns from now on; refused
    /// once this process has used its registry.
    let useAddress (address: IpcAddress) =
        lock gate (fun () ->
            match instance with
            | Some r when (r :> IRegistry).Address <> string address ->
                invalidOp $"this actor already uses the registry at {(r :> IRegistry).Address}: choose the registry before the first use of discovery"
            | _ -> Environment.SetEnvironmentVariable(DiscoverySettings.RegistryVariable, string address))

    /// The registry address this process uses (or would use), as text; does not connect.
    let address () : string =
        lock gate (fun () ->
            match instance with
            | Some r -> (r :> IRegistry).Address
            | None ->
                match Environment.GetEnvironmentVariable DiscoverySettings.RegistryVariable with
                | null
                | "" -> string (DiscoverySettings.defaultAddress ())
                | text -> text)
