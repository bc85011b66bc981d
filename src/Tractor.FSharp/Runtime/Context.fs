namespace TractorNet

open System
open System.Reflection
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

/// <summary>
/// The callee's side of a context (tractor's <c>Context</c>): a context function takes it as its
/// first parameter, e.g. <c>let pingPong (ctx: Context&lt;int&gt;) (start: int) = task { ... }</c>.
/// It calls <c>Started(value)</c> once (the caller's <c>OpenContext</c> returns that value), then may
/// open a bidirectional stream; its return value is the context's result.
/// </summary>
[<Sealed>]
type Context<'Started> internal (ep: ContextEndpoint) =
    let mutable started = 0

    /// <summary>The actor that opened the context.</summary>
    member _.Caller: ActorId = ep.Remote

    /// <summary>
    /// Cancelled when the context is cancelled (by the caller, by <c>Cancel()</c>, or by the actor's
    /// cancellation) or fails (a stream overrun under <c>Overruns.Fail</c>, reported to the caller as
    /// the function's error). The function runs in a cancel scope tied to it.
    /// </summary>
    member _.Token: CancellationToken = ep.Token

    /// <summary>
    /// Tells the caller the context is up, with <paramref name="value"/> (the <c>first</c> its <c>OpenContext</c> returns).
    /// Call it exactly once, before opening a stream; a second call raises.
    /// </summary>
    member _.Started(value: 'Started) : Task =
        if Interlocked.Exchange(&started, 1) = 1 then
            invalidOp "ctx.Started was already called: a context starts once"

        let payload = ep.Encode(typeof<'Started>, box value)
        ep.SendStarted payload

    /// <summary>
    /// Opens this side's bidirectional stream: send <c>'Send</c> items, receive <c>'Recv</c> items (the
    /// caller opens its stream with the types the other way round). After <c>Started</c>.
    /// </summary>
    member _.OpenStream<'Send, 'Recv>() : MsgStream<'Send, 'Recv> =
        if Volatile.Read &started = 0 then
            invalidOp "call ctx.Started(...) before opening the context's stream"

        MsgStreams.openOn<'Send, 'Recv> ep

    /// <summary>
    /// Cancels the context from this side: the function's scope is cancelled and the caller
    /// sees a <see cref="T:TractorNet.ContextCancelledError"/> naming this actor.
    /// </summary>
    member _.Cancel() : unit = ep.CancelSelf()

/// Building the `Context<'S>` argument of a context function.
module internal ContextArgument =
    /// Whether `t` is `Context<_>`.
    let isContext (t: Type) =
        t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<Context<_>>

    /// A `Context<'S>` of the parameter's type over `ep`.
    let create (t: Type) (ep: ContextEndpoint) : obj =
        Activator.CreateInstance(t, BindingFlags.Instance ||| BindingFlags.NonPublic, null, [| box ep |], null)
