namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

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
