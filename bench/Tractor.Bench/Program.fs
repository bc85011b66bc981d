module TractorNet.Bench.Program

open System
open System.Threading.Tasks

/// A scenario prints one or more figures; `quick` shortens it for smoke runs.
type Scenario =
    { Name: string
      Run: bool -> Task<unit> }

let scenarios: Scenario list =
    [ yield { Name = "codec.roundtrip"; Run = CodecBench.run }
      for name, run in ChannelBench.all -> { Name = name; Run = run }
      for name, run in ActorBench.all -> { Name = name; Run = run }
      for name, run in ScaleBench.all -> { Name = name; Run = run }
      for name, run in SupervisorBench.all -> { Name = name; Run = run }
      for name, run in StreamBench.all -> { Name = name; Run = run }
      for name, run in DiscoveryBench.all -> { Name = name; Run = run }
      for name, run in ForeignBench.all -> { Name = name; Run = run }
      for name, run in TracingBench.all -> { Name = name; Run = run } ]

[<EntryPoint>]
let main argv =
    if argv.Length > 0 && argv[0] = ChannelBench.PeerFlag then exit (ChannelBench.runPeer argv)
    if argv.Length > 0 && argv[0] = ActorBench.ExitFlag then exit 0
    if argv.Length > 0 && argv[0] = ActorBench.IdleFlag then exit (ActorBench.idleHello ())
    let quick = argv |> Array.contains "--quick"
    // --exact: the named scenario only, not the family sharing its prefix.
    let exact = argv |> Array.contains "--exact"
    let names = argv |> Array.filter (fun a -> not (a.StartsWith "--")) |> List.ofArray

    match names with
    | [ "all" ] ->
        for s in scenarios do
            s.Run(quick).GetAwaiter().GetResult()
        0
    | [ name ] ->
        match scenarios |> List.filter (fun s -> s.Name = name || (not exact && s.Name.StartsWith(name + "."))) with
        | [] ->
            eprintfn $"""unknown scenario '{name}'; known: {String.Join(", ", scenarios |> List.map _.Name)}"""
            2
        | chosen ->
            for s in chosen do
                s.Run(quick).GetAwaiter().GetResult()
            0
    | _ ->
        eprintfn "usage: dotnet run -c Release --project bench/Tractor.Bench -- <scenario|all> [--quick] [--exact]"
        2
