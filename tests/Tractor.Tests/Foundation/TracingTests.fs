/// Tracing with System.Diagnostics.Activity: the trace context travels in the protocol, so the spans of a call
/// chain through three processes form one trace with parent/child links; an error marks its span; nothing travels
/// when nobody listens.
module TractorNet.Tests.TracingTests

open System
open System.Collections.Concurrent
open System.Diagnostics
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

/// This module's .NET name, to enable it in daemons.
let moduleName = "TractorNet.Tests.TracingTests"

/// "traceId spanId parentSpanId" of the current activity in this process, or "none".
let here () : Task<string> =
    task {
        match Activity.Current with
        | null -> return "none"
        | a -> return $"{a.TraceId} {a.SpanId} {a.ParentSpanId}"
    }

/// This actor's place in the trace, then its child's (a grandchild of the root).
let chain () : Task<string list> =
    nursery {
        let! mine = here ()
        let! g = startActor ("traced_grandchild", [ moduleName ])
        let! theirs = g.Run here
        let! _ = g.CancelActor()
        return [ mine; theirs ]
    }

/// Raises InvalidOperationException with `message`.
let failWith (message: string) () : Task<int> = task { return invalidOp message }

/// Records every span of ours this process finishes while the listener lives.
type private Recorder() =
    let spans = ConcurrentQueue<Activity>()

    let listener =
        new ActivityListener(
            ShouldListenTo = (fun s -> s.Name = Tracing.SourceName),
            Sample = (fun _ -> ActivitySamplingResult.AllDataAndRecorded),
            ActivityStopped = (fun a -> spans.Enqueue a)
        )

    do ActivitySource.AddActivityListener listener
    member _.Spans = List.ofSeq spans

    interface IDisposable with
        member _.Dispose() = listener.Dispose()

let private parse (s: string) =
    match s.Split ' ' with
    | [| trace; span; parent |] -> trace, span, parent
    | _ -> failwith $"not a span: {s}"

let ``one trace spans three processes with parent and child links`` () : Task =
    task {
        use recorder = new Recorder()

        let! places =
            nursery {
                let! d = startActor ("traced_child", [ moduleName ])
                let! places = d.Run chain
                let! _ = d.CancelActor()
                return places
            }

        let call = recorder.Spans |> List.find (fun a -> a.OperationName = "chain")
        let childTrace, childSpan, childParent = parse places[0]
        let grandTrace, _, grandParent = parse places[1]
        Assert.That(call.Kind, Is.EqualTo ActivityKind.Client)
        Assert.That(childTrace, Is.EqualTo(string call.TraceId), "the child joined the root's trace")
        Assert.That(childParent, Is.EqualTo(string call.SpanId), "the child's span is a child of the root's call")
        Assert.That(grandTrace, Is.EqualTo(string call.TraceId), "the grandchild joined the same trace")
        Assert.That(grandParent, Is.EqualTo childSpan, "the grandchild's span is a child of the child's")
        Assert.That(recorder.Spans |> List.exists (fun a -> a.OperationName = "spawn traced_child"), Is.True, "the spawn has a span")
    }

let ``an error in the called actor marks the caller's span`` () : Task =
    task {
        use recorder = new Recorder()

        let! _ =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor ("traced_failer", failWith "traced boom")
                    return! p.Result()
                })

        let call = recorder.Spans |> List.find (fun a -> a.OperationName = "failWith")
        Assert.That(call.Status, Is.EqualTo ActivityStatusCode.Error)
        Assert.That(call.StatusDescription, Is.EqualTo "traced boom")
    }

let ``without a listener no trace context travels`` () : Task =
    task {
        Assume.That(Activity.Current, Is.Null)

        let! place =
            nursery {
                let! p = runInActor ("untraced", here)
                return! p.Result()
            }

        Assert.That(place, Is.EqualTo "none")
    }

/// `x + 1`, by code that never mentions Activity.
let increment (x: int) : Task<int> = task { return x + 1 }

/// Whether System.Diagnostics.DiagnosticSource (Activity's assembly) is mapped into this process.
let diagnosticsMapped () : Task<bool> =
    task { return System.IO.File.ReadAllText("/proc/self/maps").Contains "System.Diagnostics.DiagnosticSource" }

/// Starts listening to the runtime's source in this process (an actor that traced nothing until now).
let listenHere () : Task<bool> =
    task {
        let listener =
            new ActivityListener(
                ShouldListenTo = (fun s -> s.Name = Tracing.SourceName),
                Sample = (fun _ -> ActivitySamplingResult.AllDataAndRecorded)
            )

        ActivitySource.AddActivityListener listener
        return true
    }

/// "source kind" of the current activity in this process, or "none".
let currentSpan () : Task<string> =
    task {
        match Activity.Current with
        | null -> return "none"
        | a -> return $"{a.Source.Name} {a.Kind}"
    }

let ``a listener attached in an actor that has served untraced calls sees its later calls`` () : Task =
    task {
        Assume.That(Activity.Current, Is.Null)

        let! span =
            nursery {
                let! d = startActor ("late_listener", [ moduleName ])
                // Calls whose code never mentions Activity: nothing in the actor can trace yet.
                let! sum = d.Run(fun () -> increment 2)
                Assert.That(sum, Is.EqualTo 3)
                let! mapped = d.Run diagnosticsMapped
                Assert.That(mapped, Is.False, "the untraced calls left Activity's assembly unloaded")
                let! _ = d.Run listenHere
                let! span = d.Run currentSpan
                let! _ = d.CancelActor()
                return span
            }

        Assert.That(span, Is.EqualTo $"{Tracing.SourceName} Server", "the call served after the listener came runs in a span of ours")
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TracingTests" [
        Register.test "one trace spans three processes with parent and child links" ``one trace spans three processes with parent and child links``
        Register.test "an error in the called actor marks the caller's span" ``an error in the called actor marks the caller's span``
        Register.test "without a listener no trace context travels" ``without a listener no trace context travels``
        Register.test "a listener attached in an actor that has served untraced calls sees its later calls" ``a listener attached in an actor that has served untraced calls sees its later calls``
    ]
