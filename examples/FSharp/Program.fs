module TractorNet.Examples.Program

open System

/// Every example, in the order `--list` prints them.
let examples: Example list =
    [ Hello.example
      TaskNurseryExample.example
      CancelScopesExample.example
      TaskSeqExample.example
      WireSerialization.example
      SingleFunc.example
      WarmPool.example
      WeAreProcesses.example
      ActorSpawningAndCausality.example
      WithDaemon.example
      HotCalls.example
      RemoteErrorPropagation.example
      NestedActorTree.example
      RpcBidirStreaming.example
      AsynchronousGenerators.example
      MultipleStreamsOnePortal.example
      FullFledgedStreamingService.example
      StreamingBroadcastFanout.example
      ConcurrentActorsPrimes.example
      ServiceDiscovery.example
      ATrynamicFirstScene.example
      QuickCluster.example
      MultiProgram.example
      SupervisedWorkers.example
      Escalation.example
      ForeignEchoServer.example
      TracedTree.example
      HostedService.example
      MultiDaemonSubactors.example
      SubactorBreakpoint.example
      RootActorError.example
      NestedSubactorError.example ]

let private usage () =
    eprintfn "usage: dotnet run --project examples/FSharp -- <example> [args] | --list"

[<EntryPoint>]
let main argv =
    match List.ofArray argv with
    | [ "--list" ] ->
        for e in examples do
            printfn $"%-32s{e.Name} {e.Summary}"
        0
    | name :: rest ->
        match examples |> List.tryFind (fun e -> e.Name = name) with
        | Some e ->
            e.Run(Array.ofList rest).GetAwaiter().GetResult()
            0
        | None ->
            eprintfn $"unknown example '{name}'; known: {String.Join(' ', examples |> List.map _.Name)}"
            2
    | [] ->
        usage ()
        2
