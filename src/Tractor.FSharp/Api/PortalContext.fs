namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

/// <summary>
/// A context opened through a portal (the caller's side; tractor's <c>open_context</c>): the
/// callee's <c>Started</c> value is <c>First</c>; open the bidirectional stream with <c>OpenStream</c>; wait
/// for the function's value with <c>Result()</c>. Dispose it (<c>use</c>, <c>await using</c>) to leave the
/// context: if the function has not ended, it is cancelled and awaited; an error it raised that
/// nobody saw yet is raised there (a <see cref="T:TractorNet.RemoteActorError"/>, or <see cref="T:TractorNet.ContextCancelledError"/> when a third
/// party or the callee cancelled it); a cancellation this side asked for is absorbed.
/// </summary>
[<Sealed>]
type PortalContext<'Started, 'Result> internal (ep: ContextEndpoint, first: 'Started) =
    let mutable closing: Task = null

    /// <summary>The value the callee passed to <c>ctx.Started</c>.</summary>
    member _.First: 'Started = first

    /// <summary>The actor running the context function.</summary>
    member _.Actor: ActorId = ep.Remote

    /// <summary>
    /// Cancelled when the context ends abnormally (the callee failed or was cancelled, the
    /// connection broke, a stream overran under <c>Overruns.Fail</c>) or is cancelled: pass it to
    /// work that should stop with the context.
    /// </summary>
    member _.Token: CancellationToken = ep.Token

    /// <summary>
    /// Opens this side's bidirectional stream: send <c>'Send</c> items, receive <c>'Recv</c> items (the
    /// callee's <c>OpenStream&lt;'Recv, 'Send&gt;</c>).
    /// </summary>
    member _.OpenStream<'Send, 'Recv>() : MsgStream<'Send, 'Recv> = MsgStreams.openOn<'Send, 'Recv> ep

    /// <summary>
    /// The context function's value, once it returned (after its stream closed). Raises
    /// <see cref="T:TractorNet.RemoteActorError"/> if it failed, <see cref="T:TractorNet.ContextCancelledError"/> if it was cancelled,
    /// <see cref="T:TractorNet.ActorDiedError"/> if its actor died (<see cref="T:TractorNet.TransportClosedError"/> if only the connection broke).
    /// </summary>
    member _.Result() : Task<'Result> =
        task {
            match! ep.Outcome with
            | Returned value -> return unbox<'Result> (ep.Decode(typeof<'Result>, value))
            | _ ->
                ep.MarkRaised ep.OutcomeError
                return raise ep.OutcomeError
        }

    /// <summary>
    /// Asks the callee to cancel the context function and waits until it has ended. The
    /// resulting <see cref="T:TractorNet.ContextCancelledError"/> (naming this actor) is raised by <c>Result()</c> and by the
    /// stream's iteration and sends, so code after a loop does not run as if the stream had
    /// completed; it is this side's own: context exit absorbs it (does not raise it again).
    /// </summary>
    member _.Cancel() : Task =
        task {
            ep.RequestCancel()
            let! _ = ep.Outcome
            ()
        }

    /// <summary>
    /// Leaves the context (see the type's summary). When the context has ended already, an
    /// error is raised synchronously (F#'s <c>use</c> in <c>task { }</c> drops errors of an awaited
    /// disposal: dotnet/fsharp#16189).
    /// </summary>
    member _.DisposeAsync() : ValueTask =
        let struct (t, ended) =
            lock ep (fun () ->
                if isNull closing then
                    if ep.Outcome.IsCompleted then
                        closing <- Task.CompletedTask
                        struct (closing, true)
                    else
                        closing <- CallExit.close ep
                        struct (closing, false)
                else
                    struct (closing, false))

        if ended then
            ep.Release()
            CallExit.check ep ep.Outcome.Result

        ValueTask t

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()
