// Tracing a tree of three processes with OpenTelemetry (no tractor original: tractor has no cross-process traces).
// The runtime's ActivitySource ("TractorNet") starts a span per spawn and per call on both sides, and the trace
// context travels with each call, so the root, its child and its grandchild write spans of one trace. Each process
// exports its own spans to the console: the root from its main, each actor once its ExportSpans has run.
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace TractorNet.Examples;

static class TracedTree
{
    public static readonly Example Example = new(
        "traced-tree",
        "One OpenTelemetry trace across three processes, exported to the console by each.",
        Run);

    static readonly ActivitySource Source = new("TracedTree");

    // One exporter per process, made by the first ExportSpans (each actor is its own process).
    static TracerProvider? provider;

    static TracerProvider Console() =>
        Sdk.CreateTracerProviderBuilder().AddSource(Tracing.SourceName, "TracedTree").AddConsoleExporter().Build();

    /// <summary>Starts exporting this actor's spans to the console (once per process).</summary>
    public static Task ExportSpans()
    {
        provider ??= Console();
        return Task.CompletedTask;
    }

    static string TraceHere() => Activity.Current!.TraceId.ToString();

    /// <summary>The grandchild's work: a span of our own inside the runtime's span of the call.</summary>
    public static Task<string> Leaf()
    {
        using var _ = Source.StartActivity("leaf work");
        return Task.FromResult(TraceHere());
    }

    /// <summary>The child's work: spawns the grandchild, has it export its spans, calls it.</summary>
    public static Task<string[]> Middle() =>
        Tractor.OpenNursery(async n =>
        {
            var mine = TraceHere();
            var grandchild = await n.StartActor("grandchild", [typeof(TracedTree)]);
            await grandchild.Run(ExportSpans);
            var theirs = await grandchild.Run(Leaf);
            await grandchild.CancelActor();
            return new[] { mine, theirs };
        });

    static async Task Run(string[] args)
    {
        using var tracer = Console();
        string mine;
        string[] traces;
        using (var root = Source.StartActivity("traced-tree")!)
        {
            mine = root.TraceId.ToString();
            traces = await Tractor.OpenNursery(async n =>
            {
                var child = await n.StartActor("child", [typeof(TracedTree)]);
                await child.Run(ExportSpans);
                var traces = await child.Run(Middle);
                await child.CancelActor();
                return traces;
            });
        }
        if (traces.Length != 2 || traces.Any(t => t != mine))
            throw new InvalidOperationException($"expected every process in trace {mine}, got {string.Join(", ", traces)}");
        System.Console.WriteLine($"one trace across three processes: {mine}");
    }
}
