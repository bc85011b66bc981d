namespace TractorNet

open System
open System.Diagnostics
open System.Runtime.ExceptionServices
open System.Threading.Tasks

/// <summary>
/// Tracing with <see cref="T:System.Diagnostics.Activity"/> (what OpenTelemetry exports): the runtime's
/// <see cref="T:System.Diagnostics.ActivitySource"/> is named <c>TractorNet</c> (<see cref="F:TractorNet.Tracing.SourceName"/>).
/// It starts an activity per spawn, portal call, context and stream, on both sides of a call, and carries the trace
/// context (W3C <c>traceparent</c>) in the call's Start message, so one trace spans the whole process tree. An error
/// or a cancellation marks its span (status Error; tag <c>tractor.cancelled</c>). Nothing is created, and nothing
/// travels, when nobody listens. Each process exports its own spans: listen (e.g. OpenTelemetry's
/// <c>AddSource("TractorNet")</c>) in every actor whose spans you want.
/// </summary>
module Tracing =
    /// <summary>The name of the runtime's ActivitySource: <c>TractorNet</c>.</summary>
    [<Literal>]
    let SourceName = "TractorNet"

    let internal source = new ActivitySource(SourceName, Version.current)

    /// Starts an activity of ours if anyone listens, with `parent` (a W3C traceparent) as its parent if given, else
    /// the current activity. Null when nobody listens.
    let internal start (name: string) (kind: ActivityKind) (parent: string) : Activity =
        if not (source.HasListeners()) then
            null
        elif isNull parent then
            source.StartActivity(name, kind)
        else
            match ActivityContext.TryParse(parent, null) with
            | true, context -> source.StartActivity(name, kind, context)
            | _ -> source.StartActivity(name, kind)

    /// Where a call this process serves joins the caller's trace: our activity if anyone listens here, else (when
    /// the caller sent a trace context) a bare one that only carries the context on to the calls this one makes.
    /// Null when there is no trace.
    let internal startServer (name: string) (parent: string) : Activity =
        match start name ActivityKind.Server parent with
        | null when not (isNull parent) -> (new Activity(name)).SetParentId(parent).Start()
        | a -> a

    /// The trace context to send with a call: the activity's, else the current one's, else null.
    let internal contextOf (a: Activity) : string =
        match a with
        | null ->
            match Activity.Current with
            | null -> null
            | c when c.IdFormat = ActivityIdFormat.W3C -> c.Id
            | _ -> null
        | a -> a.Id

    /// Whether `a` is one of ours (not a bare carrier, not someone else's).
    let internal isOurs (a: Activity) = not (isNull a) && obj.ReferenceEquals(a.Source, source)

    /// Marks `a` failed with the error's type and message.
    let internal markError (a: Activity) (typeName: string) (message: string) =
        if isOurs a then
            a.SetStatus(ActivityStatusCode.Error, message).SetTag("exception.type", typeName) |> ignore

    /// Marks `a` cancelled.
    let internal markCancelled (a: Activity) =
        if isOurs a then
            a.SetStatus(ActivityStatusCode.Error, "cancelled").SetTag("tractor.cancelled", true) |> ignore

    /// Marks `a` by how `e` ended it: a cancellation or an error.
    let internal markException (a: Activity) (e: exn) =
        match e with
        | :? OperationCanceledException -> markCancelled a
        | e -> markError a (e.GetType().FullName) e.Message

    /// Runs `body` inside an activity `name` (if anyone listens), marking it by how the body ends.
    let internal traced (name: string) (kind: ActivityKind) (body: unit -> Task<'T>) : Task<'T> =
        match start name kind null with
        | null -> body ()
        | a ->
            task {
                try
                    try
                        return! body ()
                    with e ->
                        markException a e
                        ExceptionDispatchInfo.Capture(e).Throw()
                        return Unchecked.defaultof<'T>
                finally
                    a.Dispose()
            }
