using TractorNet.Examples;

// Every example, in the order `--list` prints them (the F# runner's order; task-seq is F#'s own).
Example[] examples =
[
    Hello.Example,
    TaskNurseryExample.Example,
    CancelScopesExample.Example,
    WireSerialization.Example,
    SingleFunc.Example,
    WarmPool.Example,
    WeAreProcesses.Example,
    ActorSpawningAndCausality.Example,
    WithDaemon.Example,
    HotCalls.Example,
    RemoteErrorPropagation.Example,
    NestedActorTree.Example,
    RpcBidirStreaming.Example,
    AsynchronousGenerators.Example,
    MultipleStreamsOnePortal.Example,
    FullFledgedStreamingService.Example,
    StreamingBroadcastFanout.Example,
    ConcurrentActorsPrimes.Example,
    ServiceDiscovery.Example,
    ATrynamicFirstScene.Example,
    QuickCluster.Example,
    MultiProgram.Example,
    SupervisedWorkers.Example,
    Escalation.Example,
    ForeignEchoServer.Example,
    TracedTree.Example,
    HostedService.Example,
    MultiDaemonSubactors.Example,
    SubactorBreakpoint.Example,
    RootActorError.Example,
    NestedSubactorError.Example,
];

if (args is ["--list"])
{
    foreach (var e in examples) Console.WriteLine($"{e.Name,-32} {e.Summary}");
    return 0;
}
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: dotnet run --project examples/CSharp -- <example> [args] | --list");
    return 2;
}
var example = examples.FirstOrDefault(e => e.Name == args[0]);
if (example is null)
{
    Console.Error.WriteLine($"unknown example '{args[0]}'; known: {string.Join(' ', examples.Select(e => e.Name))}");
    return 2;
}
await example.Run(args[1..]);
return 0;
