namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

/// A context opened through a portal (the caller's side; tractor's `open_context`): the
/// callee's `Started` value is `First`; open the bidirectional stream with `OpenStream`; wait
/// for the function's value with `Result()`. Dispose it (`use`, `await using`) to leave the
/// context: if the function has not ended, it is cancelled and awaited; an error it raised that
/// nobody saw yet is raised there (a `RemoteActorError`, or `ContextCancelledError` when a third
/// party or the callee cancelled it); a cancellation this side asked for is absorbed.
[<Sealed>]
type PortalContext<'Started, 'Result> internal (ep: ContextEndpoint, first: 'Started) =
    let mutable closing: Task = null

    /// The value the callee passed to `ctx.Started`.
    member _.First: 'Started = first

    /// The actor running the context function.
    member _.Actor: ActorId = ep.Remote

    /// Cancelled when the context ends abnormally (the callee failed or was cancelled, the
    /// connection broke, a stream overran under `Overruns.Fail`) or is cancelled: pass it to
    /// work that should stop with the context.
    member _.Token: CancellationToken = ep.Token

    /// Opens this side's bidirectional stream: send `'Send` items, receive `'Recv` items (the
    /// callee's `OpenStream<'Recv, 'Send>`).
    member _.OpenStream<'Send, 'Recv>() : MsgStream<'Send, 'Recv> = MsgStreams.openOn<'Send, 'Recv> ep

    /// The context function's value, once it returned (after its stream closed). Raises
    /// `RemoteActorError` if it failed, `ContextCancelledError` if it was cancelled,
    /// `ActorDiedError` if its actor died (`TransportClosedError` if only the connection broke).
    member _.Result() : Task<'Result> =
        task {
            match! ep.Outcome with
            | Returned value -> return unbox<'Result> (ep.Decode(typeof<'Result>, value))
            | _ ->
                ep.MarkRaised ep.OutcomeError
                return raise ep.OutcomeError
        }

    /// Asks the callee to cancel the context function and waits until it has ended. The
    /// resulting `ContextCancelledError` (naming this actor) is raised by `Result()` and by the
    /// stream's iteration and sends, so code after a loop does not run as if the stream had
    /// completed; it is this side's own: context exit absorbs it (does not raise it again).
    member _.Cancel() : Task =
        task {
            ep.RequestCancel()
            let! _ = ep.Outcome
            ()
        }

    /// Leaves the context (see the type's summary). When the context has ended already, an
    /// error is raised synchronously (F#'s `use` in `task { }` drops errors of an awaited
    /// disposal: dotnet/fsharp#16189).
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
