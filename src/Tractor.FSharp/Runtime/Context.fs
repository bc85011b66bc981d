namespace TractorNet

open System
open System.Reflection
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

/// The callee's side of a context (tractor's `Context`): a context function takes it as its
/// first parameter, e.g. `let pingPong (ctx: Context<int>) (start: int) = task { ... }`.
/// It calls `Started(value)` once (the caller's `OpenContext` returns that value), then may
/// open a bidirectional stream; its return value is the context's result.
[<Sealed>]
type Context<'Started> internal (ep: ContextEndpoint) =
    let mutable started = 0

    /// The actor that opened the context.
    member _.Caller: ActorId = ep.Remote

    /// Cancelled when the context is cancelled (by the caller, by `Cancel()`, or by the actor's
    /// cancellation) or fails (a stream overrun under `Overruns.Fail`, reported to the caller as
    /// the function's error). The function runs in a cancel scope tied to it.
    member _.Token: CancellationToken = ep.Token

    /// Tells the caller the context is up, with `value` (the `first` its `OpenContext` returns).
    /// Call it exactly once, before opening a stream; a second call raises.
    member _.Started(value: 'Started) : Task =
        if Interlocked.Exchange(&started, 1) = 1 then
            invalidOp "ctx.Started was already called: a context starts once"

        let payload = ep.Encode(typeof<'Started>, box value)
        ep.SendStarted payload

    /// Opens this side's bidirectional stream: send `'Send` items, receive `'Recv` items (the
    /// caller opens its stream with the types the other way round). After `Started`.
    member _.OpenStream<'Send, 'Recv>() : MsgStream<'Send, 'Recv> =
        if Volatile.Read &started = 0 then
            invalidOp "call ctx.Started(...) before opening the context's stream"

        MsgStreams.openOn<'Send, 'Recv> ep

    /// Cancels the context from this side: the function's scope is cancelled and the caller
    /// sees a `ContextCancelledError` naming this actor.
    member _.Cancel() : unit = ep.CancelSelf()

/// Building the `Context<'S>` argument of a context function.
module internal ContextArgument =
    /// Whether `t` is `Context<_>`.
    let isContext (t: Type) =
        t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<Context<_>>

    /// A `Context<'S>` of the parameter's type over `ep`.
    let create (t: Type) (ep: ContextEndpoint) : obj =
        Activator.CreateInstance(t, BindingFlags.Instance ||| BindingFlags.NonPublic, null, [| box ep |], null)
