namespace TractorNet

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

/// How a context or stream call's end is judged at its exit (caller side).
module internal CallExit =
    /// Raises the call's error at exit unless it was this side's own cancellation, a broken
    /// connection after this side asked to cancel, or already raised to this side's code. A
    /// stream overrun in this side's buffer failed the context whatever the function did after
    /// (its end is a consequence): that is raised instead. The peer's overrun arrives as its
    /// outcome (a `RemoteActorError` boxing `StreamOverrunError`).
    let check (ep: ContextEndpoint) (o: CallOutcome) =
        match o with
        | _ when ep.FailedHere -> if not ep.FailureObserved then raise ep.Failure
        | Returned _ -> ()
        | CancelledBy(who, _) when who = ep.Self -> ()
        | Broken _ when ep.CancelRequested -> ()
        | _ when ep.Observed -> ()
        | _ -> raise ep.OutcomeError

    /// Cancels the call unless it ended, waits for its end, and judges it.
    let close (ep: ContextEndpoint) : Task =
        task {
            if not ep.Outcome.IsCompleted then
                ep.Leave()
                ep.RequestCancel()

            let! o = ep.Outcome
            ep.Release()
            check ep o
        }

/// Context and stream calls on a child actor (caller side).
module internal ChildCalls =
    /// Starts a context or stream call on a child actor's peer; `death` turns a broken
    /// connection (now or later) into the actor's death, so that it is reported once.
    let openCall
        (peer: Peer)
        (death: Func<exn, Task<exn>>)
        (f: FunctionRef)
        (args: byte[] list)
        (kind: CallKind)
        (options: StreamOptions)
        (ambient: CancellationToken)
        (prepare: ContextEndpoint -> unit)
        : Task<ContextEndpoint> =
        task {
            try
                return!
                    peer.OpenCall(
                        f,
                        args,
                        kind,
                        options,
                        ambient,
                        fun ep ->
                            ep.ResolveBrokenWith death
                            prepare ep
                    )
            with :? TransportClosedError as e ->
                let! cause = death.Invoke e
                return raise cause
        }

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

/// A one-way stream from a function in another actor (`portal.OpenStreamFrom f`). Each
/// enumeration runs the function once: its items arrive in order, with the flow policy of the
/// stream's options. Breaking out of the loop (disposing the enumerator) cancels the remote
/// generator and waits for it; a remote error raises `RemoteActorError` at the iteration site;
/// the actor dying raises its `ActorDiedError` there (the one error its nursery reports).
[<Sealed>]
type RemoteStream<'T> internal (peer: Peer, call: PreparedCall, args: byte[] list, options: StreamOptions, death: Func<exn, Task<exn>>) =
    let raw =
        { new IAsyncEnumerable<'T> with
            member _.GetAsyncEnumerator(ct) = new RemoteStreamEnumerator<'T>(peer, call, args, options, death, ct) }

    let broadcast = BroadcastSlot<'T>(raw)

    /// A local fan-out keeping the last 256 items: see `Subscribe(bufferSize)`.
    member this.Subscribe() : BroadcastSubscription<'T> = this.Subscribe 256

    /// A local fan-out of one run of the stream: each subscription (one per local task) gets
    /// its own copy of every item from now on; a subscriber more than `bufferSize` items behind
    /// the fastest gets `LaggedError`, the others carry on. The remote function starts at the
    /// first read and is cancelled when the last subscription is disposed; subscribing again
    /// after that runs it anew (the first call of each run sets the buffer size).
    member _.Subscribe(bufferSize: int) : BroadcastSubscription<'T> = broadcast.Subscribe bufferSize

    /// Runs the function in the actor and iterates its items.
    member _.GetAsyncEnumerator(ct: CancellationToken) : IAsyncEnumerator<'T> = raw.GetAsyncEnumerator ct

    interface IAsyncEnumerable<'T> with
        member this.GetAsyncEnumerator(ct) = this.GetAsyncEnumerator ct

and [<Sealed>] internal RemoteStreamEnumerator<'T>
    (peer: Peer, call: PreparedCall, args: byte[] list, options: StreamOptions, death: Func<exn, Task<exn>>, ct: CancellationToken) =
    // The caller's scope (the nursery, a cancel scope) cancels the stream, like any portal call.
    let link = AmbientLink.Of ct
    let token = link.Token

    let mutable ep: ContextEndpoint = null
    let mutable reader: InboxReader<'T> = Unchecked.defaultof<_>
    let mutable finished = false

    member private _.Start() : Task =
        task {
            let mutable inbox = Unchecked.defaultof<Inbox<'T>>

            let! e =
                ChildCalls.openCall peer death call.Function args (Stream(options.BufferSize, int options.Overruns)) options token (fun e ->
                    inbox <- e.OpenInbox<'T>(false))

            reader <- InboxReader(inbox, CancellationToken.None)
            ep <- e
        }

    /// Continues a read: at the end of the items, the function's outcome follows right behind.
    member private _.Continue(read: ValueTask<bool>) : Task<bool> =
        task {
            let! more = read

            if more then
                return true
            else
                let! o = ep.Outcome
                finished <- true
                CallExit.check ep o
                return false
        }

    member private this.StartThenRead() : Task<bool> =
        task {
            if finished then
                return false
            else
                if isNull ep then
                    do! this.Start()

                return! this.Continue(reader.MoveNextAsync())
        }

    interface IAsyncEnumerator<'T> with
        member _.Current = reader.Current

        member this.MoveNextAsync() =
            if isNull ep || finished then
                ValueTask<bool>(this.StartThenRead())
            else
                let read = reader.MoveNextAsync()

                // A ValueTask is consumed once: read its result here or hand it on, not both.
                if not read.IsCompletedSuccessfully then ValueTask<bool>(this.Continue read)
                elif read.Result then ValueTask<bool> true
                else ValueTask<bool>(this.Continue(ValueTask<bool> false))

        member _.DisposeAsync() =
            ValueTask(
                task {
                    try
                        if not (isNull ep) then
                            do! CallExit.close ep
                    finally
                        link.Dispose()
                }
            )

/// Preparing context and stream calls (caller side).
module internal StreamingCalls =
    /// Refuses a context or stream to this actor itself.
    let refuseSelf (target: ActorId) (self: ActorId) =
        if target = self then
            invalidOp $"cannot open a context or stream to actor '{self}' from itself: a context needs two actors"

    /// Encodes the arguments from parameter `first` on (the ones before it are not sent).
    let encodeFrom (codec: IPayloadCodec) (first: int) (call: PreparedCall) : byte[] list =
        call.Method.GetParameters()
        |> Array.skip first
        |> Array.mapi (fun i p ->
            try
                codec.Encode(p.ParameterType, call.Arguments[i + first])
            with e ->
                raise (ArgumentException($"cannot send {call.ArgumentNames[i + first]} of '{call.Function.Display}' to another actor: {e.Message}", e)))
        |> List.ofArray

    let private check (codec: IPayloadCodec) (what: string) (t: Type) (display: string) =
        try
            codec.Check t
        with e ->
            raise (ArgumentException($"the {what} of '{display}' cannot travel between actors: {e.Message}", e))

    /// Opens a context: waits for the callee's `Started` (or its failure).
    let openContext<'S, 'R>
        (peer: Peer)
        (death: Func<exn, Task<exn>>)
        (codec: IPayloadCodec)
        (self: ActorId)
        (call: PreparedCall)
        (options: StreamOptions)
        (ambient: CancellationToken)
        : Task<PortalContext<'S, 'R>> =
        task {
            options.Validate()
            refuseSelf peer.Remote self
            let parameters = call.Method.GetParameters()

            if parameters.Length = 0 || parameters[0].ParameterType <> typeof<Context<'S>> then
                invalidArg "f" $"'{call.Function.Display}' is not a context function: its first parameter must be a Context<{typeof<'S>.Name}>"

            check codec "started value" typeof<'S> call.Function.Display
            check codec "result" typeof<'R> call.Function.Display
            let args = encodeFrom codec 1 call
            let kind = Context(options.BufferSize, int options.Overruns)
            let! ep = ChildCalls.openCall peer death call.Function args kind options ambient ignore
            let! _ = Task.WhenAny(ep.Started, ep.Outcome)

            if ep.Started.IsCompleted && not ambient.IsCancellationRequested then
                return PortalContext<'S, 'R>(ep, unbox<'S> (ep.Decode(typeof<'S>, ep.Started.Result)))
            else
                let! o = ep.Outcome
                ep.Release()
                ambient.ThrowIfCancellationRequested()

                match o with
                | Returned _ ->
                    return invalidOp $"context function '{call.Function.Display}' returned without calling ctx.Started"
                | _ -> return raise ep.OutcomeError
        }

    /// A one-way stream of `'T` from a function returning `IAsyncEnumerable<'T>`.
    let openStream<'T> (peer: Peer) (death: Func<exn, Task<exn>>) (codec: IPayloadCodec) (self: ActorId) (call: PreparedCall) (options: StreamOptions) : RemoteStream<'T> =
        options.Validate()
        refuseSelf peer.Remote self

        match StreamPump.itemType call.Method.ReturnType with
        | Some t when t = typeof<'T> -> ()
        | _ -> invalidArg "f" $"'{call.Function.Display}' does not return an IAsyncEnumerable<{typeof<'T>.Name}>"

        check codec "items" typeof<'T> call.Function.Display
        RemoteStream<'T>(peer, call, encodeFrom codec 0 call, options, death)
