namespace TractorNet.Discovery

open System
open System.Collections.Concurrent
open System.ComponentModel
open TractorNet
open TractorNet.Ipc
open TractorNet.Runtime

/// Registry backends other than the built-in one, by the scheme of their addresses: a backend
/// package installs itself here (e.g. `EtcdRegistry.install ()`); not for applications.
[<EditorBrowsable(EditorBrowsableState.Never)>]
module RegistryBackends =
    let internal factories = ConcurrentDictionary<string, Func<string, IRegistry>>(StringComparer.Ordinal)

    /// <summary>Makes addresses `scheme://…` select the backend that `factory` makes from such an address.</summary>
    /// <param name="scheme">The address scheme, e.g. `etcd`.</param>
    /// <param name="factory">Makes the process's registry from its full address (called once, at its first use of discovery).</param>
    let register (scheme: string) (factory: Func<string, IRegistry>) = factories[scheme] <- factory

    /// The packages that provide a scheme's backend, loaded by name when a process (a spawned
    /// actor inherits TRACTOR_REGISTRY) meets the scheme without having installed it.
    let internal known = dict [ "etcd", ("Tractor.Discovery.Etcd", "TractorNet.Discovery.Etcd.EtcdRegistry") ]

    /// The factory for `scheme`, installing a known backend package found beside the application.
    let internal find (scheme: string) : Func<string, IRegistry> option =
        match factories.TryGetValue scheme with
        | true, f -> Some f
        | _ ->
            match known.TryGetValue scheme with
            | true, (assembly, typeName) ->
                try
                    let t = Reflection.Assembly.Load(assembly).GetType(typeName, true)
                    t.GetMethod("Install").Invoke(null, [||]) |> ignore
                with e ->
                    raise (RegistryError($"the {scheme} registry backend (package {assembly}) is not available: {e.Message}", e))

                match factories.TryGetValue scheme with
                | true, f -> Some f
                | _ -> None
            | _ -> None

/// The registry of this process, made at its first use of discovery (never at spawn).
module internal Registries =
    let private gate = obj ()
    // Guarded by `gate`.
    let mutable private instance: IRegistry option = None

    /// The registry this process uses: a backend's when the address has its scheme, else the
    /// built-in one.
    let current () : IRegistry =
        lock gate (fun () ->
            match instance with
            | Some r -> r
            | None ->
                let text = Environment.GetEnvironmentVariable DiscoverySettings.RegistryVariable

                let backend =
                    match text with
                    | null -> None
                    | text ->
                        match text.IndexOf "://" with
                        | i when i > 0 && text.Substring(0, i) <> "uds" && text.Substring(0, i) <> "tcp" ->
                            match RegistryBackends.find (text.Substring(0, i)) with
                            | Some f -> Some f
                            | None -> raise (RegistryError $"{DiscoverySettings.RegistryVariable}={text}: no registry backend for this scheme")
                        | _ -> None

                let r =
                    match backend with
                    | Some f -> f.Invoke text
                    | None -> BuiltinRegistry(ActorRuntime.Current, DiscoverySettings.registryAddress ()) :> IRegistry

                instance <- Some r
                r)

    /// The built-in registry, if this process uses it.
    let builtin () : BuiltinRegistry option =
        match current () with
        | :? BuiltinRegistry as b -> Some b
        | _ -> None

    /// Sets the registry address for this process and the actors it spawns from now on; refused
    /// once this process has used its registry.
    let useAddress (address: string) =
        lock gate (fun () ->
            match instance with
            | Some r when r.Address <> address ->
                invalidOp $"this actor already uses the registry at {r.Address}: choose the registry before the first use of discovery"
            | _ -> Environment.SetEnvironmentVariable(DiscoverySettings.RegistryVariable, address))

    /// The registry address this process uses (or would use), as text; does not connect.
    let address () : string =
        lock gate (fun () ->
            match instance with
            | Some r -> r.Address
            | None ->
                match Environment.GetEnvironmentVariable DiscoverySettings.RegistryVariable with
                | null
                | "" -> string (DiscoverySettings.defaultAddress ())
                | text -> text)
