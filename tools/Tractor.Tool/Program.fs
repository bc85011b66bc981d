/// `dotnet tractor tree [--registry <address>]`: asks the registry for its actors and prints the
/// live tree (names, pids, hosts, uptime, addresses), as `pstree` shows a process tree.
module TractorNet.Tool.Program

open System
open TractorNet

let private usage () =
    eprintfn "usage: dotnet tractor tree [--registry uds:///path | tcp://host:port | etcd://host:port/prefix]"
    2

let private tree (registry: string option) =
    TractorNet.Discovery.Etcd.EtcdRegistry.install ()

    match registry with
    | Some address -> useRegistry address
    | None -> ()

    let entries = (listActors ()).GetAwaiter().GetResult()
    let now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()
    let noun = if entries.Length = 1 then "entry" else "entries"
    printfn $"registry {Actor.current().Registry}: {entries.Length} {noun}"

    for line in TreeView.render now entries do
        printfn $"{line}"

    0

[<EntryPoint>]
let main argv =
    try
        match List.ofArray argv with
        | [ "tree" ] -> tree None
        | [ "tree"; "--registry"; address ] -> tree (Some address)
        | _ -> usage ()
    with
    | :? RegistryError as e ->
        eprintfn $"tractor: {e.Message}"
        1
