namespace TractorNet

open System.Collections.Generic
open System.Runtime.InteropServices
open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open Microsoft.FSharp.Quotations.Patterns
open TractorNet.Runtime

/// Turning auto-quoted context functions into prepared calls.
module internal ContextQuotations =
    /// `f` quoted as `fun ctx -> g ctx x y` (handled by `FunctionRefs.ofQuotation`, the context
    /// parameter arriving as a placeholder) or as the bare function `g` of the context and
    /// `extra` more parameters, whose values are `extra`.
    let prepare (quoted: Expr) (extra: obj list) : PreparedCall =
        let rec strip (e: Expr) =
            match e with
            | WithValue(_, _, inner) -> strip inner
            | e -> e

        let rec lambdas (vars: Var list) (e: Expr) =
            match e with
            | Lambda(v, body) -> lambdas (v :: vars) body
            | body -> List.rev vars, body

        match strip quoted with
        | e when extra.IsEmpty -> FunctionRefs.ofQuotation e
        | e ->
            match lambdas [] e with
            | vars, Call(None, m, args) when
                vars.Length = extra.Length + 1
                && args.Length = vars.Length
                && List.forall2 (fun (a: Expr) v -> (match a with Var x -> x = v | _ -> false)) args vars
                ->
                { Function = FunctionRefs.ofMethod m
                  Method = m
                  Arguments = null :: extra |> Array.ofList
                  ArgumentNames = Array.init vars.Length (fun i -> $"argument {i}") }
            | _ -> invalidArg "f" $"OpenContext needs a module function whose first parameter is the Context, got `{quoted}`"

/// <summary>
/// Contexts and one-way streams through a portal (F#): <c>portal.OpenContext(pingPong, 10)</c>,
/// <c>portal.OpenStreamFrom numbers</c>.
/// </summary>
[<AutoOpen>]
module PortalStreaming =
    let private openContext<'S, 'R> (portal: Portal) (call: PreparedCall) (options: StreamOptions option) =
        let peer = portal.Peer // refuses a context with oneself here, before any task starts

        task {
            let rt = ActorRuntime.Current
            let options = defaultArg options StreamOptions.Default
            let! ctx = StreamingCalls.openContext<'S, 'R> peer portal.DeathOf rt.Codec rt.Id call options CancelScope.CurrentToken
            return ctx, ctx.First
        }

    let private openStream<'T> (portal: Portal) (call: PreparedCall) (options: StreamOptions option) =
        let rt = ActorRuntime.Current
        StreamingCalls.openStream<'T> portal.Peer portal.DeathOf rt.Codec rt.Id call (defaultArg options StreamOptions.Default)

    type Portal with
        /// <summary>
        /// Opens a context with a context function of no other parameter
        /// (<c>let serve (ctx: Context&lt;int&gt;) = task { ... }</c>) or a lambda calling one
        /// (<c>fun ctx -&gt; serve ctx x y</c>). Waits for the callee's <c>ctx.Started(first)</c> and returns
        /// <c>(ctx, first)</c>; dispose <c>ctx</c> to leave the context (<c>use _ = ctx</c>). The ambient cancel
        /// scope (the nursery) cancels the context.
        /// </summary>
        member portal.OpenContext
            ([<ReflectedDefinition(true)>] f: Expr<Context<'S> -> Task<'R>>, ?options: StreamOptions)
            : Task<PortalContext<'S, 'R> * 'S> =
            openContext<'S, 'R> portal (ContextQuotations.prepare f []) options

        /// <summary>
        /// Opens a context with a context function of one more parameter: <c>portal.OpenContext(f, a)</c>.
        /// </summary>
        member portal.OpenContext
            ([<ReflectedDefinition(true)>] f: Expr<Context<'S> -> 'A -> Task<'R>>, a: 'A, ?options: StreamOptions)
            : Task<PortalContext<'S, 'R> * 'S> =
            openContext<'S, 'R> portal (ContextQuotations.prepare f [ box a ]) options

        /// <summary>
        /// Opens a context with a context function of two more parameters: <c>portal.OpenContext(f, a, b)</c>.
        /// </summary>
        member portal.OpenContext
            ([<ReflectedDefinition(true)>] f: Expr<Context<'S> -> 'A -> 'B -> Task<'R>>, a: 'A, b: 'B, ?options: StreamOptions)
            : Task<PortalContext<'S, 'R> * 'S> =
            openContext<'S, 'R> portal (ContextQuotations.prepare f [ box a; box b ]) options

        /// <summary>
        /// A one-way stream from a function returning <c>IAsyncEnumerable&lt;'T&gt;</c> (e.g. <c>taskSeq { }</c>),
        /// passed as <c>numbers</c> (a <c>unit -&gt;</c> function) or <c>fun () -&gt; numbers 10</c>. Iterate it; each
        /// iteration runs the function once; breaking out cancels it.
        /// </summary>
        member portal.OpenStreamFrom
            ([<ReflectedDefinition(true)>] f: Expr<unit -> IAsyncEnumerable<'T>>, ?options: StreamOptions)
            : RemoteStream<'T> =
            openStream<'T> portal (FunctionRefs.ofQuotation f) options
