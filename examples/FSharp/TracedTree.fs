/// Tracing a tree of three processes with OpenTelemetry (no tractor original: tractor has no cross-process traces).
/// The runtime's ActivitySource ("TractorNet") starts a span per spawn and per call on both sides, and the trace
/// context travels with each call, so the root, its child and its grandchild write spans of one trace. Each process
/// exports its own spans to the console: the root from its main, each actor once its `exportSpans` has run.
module TractorNet.Examples.TracedTree

open System.Diagnostics
open System.Threading.Tasks
open OpenTelemetry
open OpenTelemetry.Trace
open TractorNet

let private thisModule = "TractorNet.Examples.TracedTree"

/// This program's own spans.
let private source = new ActivitySource("TracedTree")

// One exporter per process, made by the first exportSpans (each actor is its own process).
let mutable private provider: TracerProvider = null

let private console () =
    Sdk.CreateTracerProviderBuilder().AddSource(Tracing.SourceName, "TracedTree").AddConsoleExporter().Build()

/// Starts exporting this actor's spans to the console (once per process).
let exportSpans () : Task<unit> =
    task {
        if isNull provider then
            provider <- console ()
    }

/// The trace this actor's call belongs to.
let private traceHere () = string Activity.Current.TraceId

/// The grandchild's work: a span of our own inside the runtime's span of the call.
let leaf () : Task<string> =
    task {
        use _ = source.StartActivity "leaf work"
        return traceHere ()
    }

/// The child's work: spawns the grandchild, has it export its spans, calls it.
let middle () : Task<string list> =
    nursery {
        let! grandchild = startActor ("grandchild", [ thisModule ])
        do! grandchild.Run exportSpans
        let! theirs = grandchild.Run leaf
        let! _ = grandchild.CancelActor()
        return [ traceHere (); theirs ]
    }

let example =
    { Name = "traced-tree"
      Summary = "One OpenTelemetry trace across three processes, exported to the console by each."
      Run =
        fun _ ->
            task {
                use _ = console ()
                use root = source.StartActivity "traced-tree"

                let! traces =
                    nursery {
                        let! child = startActor ("child", [ thisModule ])
                        do! child.Run exportSpans
                        let! traces = child.Run middle
                        let! _ = child.CancelActor()
                        return traces
                    }

                let mine = string root.TraceId

                if traces <> [ mine; mine ] then
                    failwith $"expected every process in trace {mine}, got {traces}"

                printfn $"one trace across three processes: {mine}"
            } }
