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

/// Contexts and one-way streams through a portal (F#): `portal.OpenContext(pingPong, 10)`,
/// `portal.OpenStreamFrom numbers`.
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
        /// Opens a context with a context function of no other parameter
        /// (`let serve (ctx: Context<int>) = task { ... }`) or a lambda calling one
        /// (`fun ctx -> serve ctx x y`). Waits for the callee's `ctx.Started(first)` and returns
        /// `(ctx, first)`; dispose `ctx` to leave the context (`use _ = ctx`). The ambient cancel
        /// scope (the nursery) cancels the context.
        member portal.OpenContext
            ([<ReflectedDefinition(true)>] f: Expr<Context<'S> -> Task<'R>>, ?options: StreamOptions)
            : Task<PortalContext<'S, 'R> * 'S> =
            openContext<'S, 'R> portal (ContextQuotations.prepare f []) options

        /// Opens a context with a context function of one more parameter: `portal.OpenContext(f, a)`.
        member portal.OpenContext
            ([<ReflectedDefinition(true)>] f: Expr<Context<'S> -> 'A -> Task<'R>>, a: 'A, ?options: StreamOptions)
            : Task<PortalContext<'S, 'R> * 'S> =
            openContext<'S, 'R> portal (ContextQuotations.prepare f [ box a ]) options

        /// Opens a context with a context function of two more parameters: `portal.OpenContext(f, a, b)`.
        member portal.OpenContext
            ([<ReflectedDefinition(true)>] f: Expr<Context<'S> -> 'A -> 'B -> Task<'R>>, a: 'A, b: 'B, ?options: StreamOptions)
            : Task<PortalContext<'S, 'R> * 'S> =
            openContext<'S, 'R> portal (ContextQuotations.prepare f [ box a; box b ]) options

        /// A one-way stream from a function returning `IAsyncEnumerable<'T>` (e.g. `taskSeq { }`),
        /// passed as `numbers` (a `unit ->` function) or `fun () -> numbers 10`. Iterate it; each
        /// iteration runs the function once; breaking out cancels it.
        member portal.OpenStreamFrom
            ([<ReflectedDefinition(true)>] f: Expr<unit -> IAsyncEnumerable<'T>>, ?options: StreamOptions)
            : RemoteStream<'T> =
            openStream<'T> portal (FunctionRefs.ofQuotation f) options
