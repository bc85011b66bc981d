namespace TractorNet

open System
open System.Diagnostics
open System.Reflection
open System.Runtime.CompilerServices
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

    // ---- the guard: whether anything in this process can trace ----
    // The first touch of Activity or ActivitySource constructs the runtime's DiagnosticSource EventSource, which
    // loads culture data (ICU) and more code: ~5 MB resident in an actor that would never trace. Nobody can listen,
    // nor have a current activity, before System.Diagnostics.DiagnosticSource is loaded into the process, so until
    // then the call path asks nothing of it. The guards below read one flag and reference no type of that
    // assembly; the work behind them is in methods that are never inlined into their callers (the JIT would load
    // the assembly to compile a caller that mentions its types).

    let private diagnosticSource = "System.Diagnostics.DiagnosticSource,"

    /// Set (never reset) once System.Diagnostics.DiagnosticSource is loaded.
    let mutable private loaded = false

    let private isDiagnosticSource (a: Assembly) =
        // The display name, not GetName(): that builds a CultureInfo (and so loads ICU).
        not (isNull a) && (match a.FullName with null -> false | n -> n.StartsWith(diagnosticSource, StringComparison.Ordinal))

    do
        AppDomain.CurrentDomain.add_AssemblyLoad (AssemblyLoadEventHandler(fun _ e -> if isDiagnosticSource e.LoadedAssembly then loaded <- true))

        if AppDomain.CurrentDomain.GetAssemblies() |> Array.exists isDiagnosticSource then
            loaded <- true

    // ---- our ActivitySource, made when first needed (making it constructs the EventSource) ----
    let mutable private made: obj = null
    let private making = obj ()

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private make () : obj =
        lock making (fun () ->
            if isNull made then
                made <- new ActivitySource(SourceName, Version.current)

            made)

    let internal source () : ActivitySource =
        match made with
        | null -> make () :?> ActivitySource
        | s -> s :?> ActivitySource

    /// Starts an activity of ours if anyone listens, with `parent` (a W3C traceparent) as its parent if given, else
    /// the current activity. Null when nobody listens.
    let internal start (name: string) (kind: ActivityKind) (parent: string) : Activity =
        let source = source ()

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
    let internal isOurs (a: Activity) =
        not (isNull a) && not (isNull made) && obj.ReferenceEquals(a.Source, made)

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

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private tracedCore (name: string) (body: unit -> Task<'T>) : Task<'T> =
        match start name ActivityKind.Internal null with
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

    /// Runs `body` inside an internal activity `name` (if anyone listens), marking it by how the body ends.
    let internal traced (name: string) (body: unit -> Task<'T>) : Task<'T> =
        if loaded then tracedCore name body else body ()

    // ---- the call path's guarded steps: a span is an IDisposable (an Activity, or null) ----

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private startClientCore (name: string) : IDisposable = start name ActivityKind.Client null

    /// A call's span on the caller's side (made current), or null when nobody listens.
    let internal startClient (name: string) : IDisposable =
        if loaded then startClientCore name else null

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private startBesideCore (name: string) : IDisposable =
        let previous = Activity.Current
        let span = start name ActivityKind.Client null

        if not (isNull span) then
            Activity.Current <- previous

        span

    /// A context's or stream's span on the caller's side, not made current (the caller's code goes on beside it),
    /// or null when nobody listens.
    let internal startBeside (name: string) : IDisposable =
        if loaded then startBesideCore name else null

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private enterServerCore (name: string) (parent: string) : IDisposable =
        let span = startServer name parent

        if isNull span && not (isNull Activity.Current) then
            Activity.Current <- null

        span

    /// The span of a call this process serves, made current (null when there is no trace); the current activity
    /// is never one the serving loop inherited.
    let internal enterServer (name: string) (parent: string) : IDisposable =
        if loaded || not (isNull parent) then enterServerCore name parent else null

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private contextOfSpanCore (span: IDisposable) = contextOf (span :?> Activity)

    /// The trace context to send with a call whose span is `span`: its own, else the current activity's, else null.
    let internal contextOfSpan (span: IDisposable) : string =
        if loaded then contextOfSpanCore span else null

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private failSpanCore (span: IDisposable) (typeName: string) (message: string) =
        markError (span :?> Activity) typeName message

    /// Marks `span` (if any) failed with the error's type and message.
    let internal failSpan (span: IDisposable) (typeName: string) (message: string) =
        if not (isNull span) then failSpanCore span typeName message

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private cancelSpanCore (span: IDisposable) = markCancelled (span :?> Activity)

    /// Marks `span` (if any) cancelled.
    let internal cancelSpan (span: IDisposable) =
        if not (isNull span) then cancelSpanCore span

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private endSpanByCore (span: IDisposable) (e: exn) = markException (span :?> Activity) e

    /// Marks `span` (if any) by how `e` ended it.
    let internal markSpanBy (span: IDisposable) (e: exn) =
        if not (isNull span) then endSpanByCore span e

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private failCurrentCore (typeName: string) (message: string) = markError Activity.Current typeName message

    /// Marks the current activity, if it is ours (a served call's span), failed.
    let internal failCurrent (typeName: string) (message: string) =
        if loaded then failCurrentCore typeName message

    [<MethodImpl(MethodImplOptions.NoInlining)>]
    let private cancelCurrentCore () = markCancelled Activity.Current

    /// Marks the current activity, if it is ours, cancelled.
    let internal cancelCurrent () =
        if loaded then cancelCurrentCore ()
