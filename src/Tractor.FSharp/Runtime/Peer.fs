namespace TractorNet.Runtime

open System
open System.Collections.Concurrent
open System.Threading
open System.Threading.Tasks
open TractorNet

/// One connection to another actor, seen as an RPC endpoint in both directions: it sends calls
/// and matches their replies by id, and it runs the calls the other side sends (only functions of
/// the enabled modules). Control messages (spawn, cancel-actor...) go to `onControl`.
type internal Peer
    (
        link: IMessageLink,
        self: ActorId,
        codec: IPayloadCodec,
        enabledModules: unit -> string seq,
        runtimeToken: CancellationToken,
        onControl: Message -> unit
    ) =
    let pending = ConcurrentDictionary<int64, TaskCompletionSource<Result<byte[], RemoteErrorInfo>>>()
    let running = ConcurrentDictionary<int64, CancellationTokenSource>()
    let serving = ConcurrentDictionary<int64, Task>()
    let mutable nextId = 0L
    let mutable closedReason: string = null
    let loopDone = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

    let refuse (id: int64) (typeName: string) (message: string) =
        link.Send(Error(id, { Source = self; TypeName = typeName; Message = message; StackTrace = ""; RelayPath = []; Inner = [] }))

    let execute (id: int64) (f: FunctionRef) (args: byte[] list) (ct: CancellationToken) =
        task {
            match FunctionRefs.resolve (enabledModules ()) f with
            | Result.Error why -> do! refuse id "TractorNet.FunctionNotEnabled" why
            | Ok m ->
                let parameters = m.GetParameters()

                if parameters.Length <> args.Length then
                    do! refuse id "System.ArgumentException" $"'{f.Display}' takes {parameters.Length} argument(s), got {args.Length}"
                else
                    try
                        let values =
                            List.mapi (fun i blob -> codec.Decode(parameters[i].ParameterType, blob)) args |> Array.ofList

                        let! result = CallContext.run ct (fun () -> FunctionInvoker.invoke m values)
                        let encoded = codec.Encode(FunctionInvoker.resultType m, result)
                        do! link.Send(Return(id, encoded))
                    with e ->
                        let e =
                            match e with
                            | :? OperationCanceledException when ct.IsCancellationRequested ->
                                OperationCanceledException($"call '{f.Display}' was cancelled in actor '{self}'") :> exn
                            | e -> e

                        try
                            do! link.Send(Error(id, RemoteErrorInfo.ofException self e))
                        with _ ->
                            () // the caller is gone; nothing to tell
        }

    /// Runs one call the other side asked for; `cts` is registered in `running` already.
    let serve (id: int64) (f: FunctionRef) (args: byte[] list) (cts: CancellationTokenSource) =
        task {
            try
                do! execute id f args cts.Token
            finally
                running.TryRemove id |> ignore
                cts.Dispose()
        }

    let fail (reason: string) =
        closedReason <- reason

        for KeyValue(id, tcs) in pending do
            if pending.TryRemove id |> fst then
                tcs.TrySetException(TransportClosedError(string link.Remote, reason)) |> ignore

        // The caller of our running calls is gone: cancel them.
        for KeyValue(_, cts) in running do
            try
                cts.Cancel()
            with _ ->
                ()

    let receiveLoop () =
        task {
            try
                try
                    let mutable go = true

                    while go do
                        let! next = link.Receive CancellationToken.None

                        match next with
                        | ValueNone ->
                            go <- false
                            fail "the peer closed the connection"
                        | ValueSome msg ->
                            match msg with
                            | Return(id, value) ->
                                match pending.TryRemove id with
                                | true, tcs -> tcs.TrySetResult(Ok value) |> ignore
                                | _ -> ()
                            | Error(id, info) ->
                                match pending.TryRemove id with
                                | true, tcs -> tcs.TrySetResult(Result.Error info) |> ignore
                                | _ -> ()
                            | Start(id, f, args, _) ->
                                // Off the receive loop: user code may block its thread, and the
                                // loop must stay free to hear CancelCall/CancelActor.
                                // The call's cancellation exists before the next message is
                                // read, so a CancelCall right behind the Start finds it.
                                let cts = CancellationTokenSource.CreateLinkedTokenSource runtimeToken
                                running[id] <- cts
                                let t = Task.Run<unit>(fun () -> serve id f args cts)
                                serving[id] <- t
                                t.ContinueWith(fun (_: Task) -> serving.TryRemove id |> ignore) |> ignore
                            | CancelCall id ->
                                match running.TryGetValue id with
                                | true, cts -> cts.Cancel()
                                | _ -> ()
                            | control -> onControl control
                with e ->
                    fail e.Message
            finally
                loopDone.TrySetResult() |> ignore
        }

    /// The actor at the other end.
    member _.Remote = link.Remote

    /// Starts the receive loop (once).
    member _.Start() = receiveLoop () |> ignore

    /// Completes when the connection has closed (cleanly or not).
    member _.Closed: Task = loopDone.Task

    /// Sends a control message.
    member _.Send(msg: Message) = link.Send msg

    /// Calls `f` on the other actor; raises RemoteActorError for a remote failure,
    /// TransportClosedError when the connection breaks, OperationCanceledException when `ct`
    /// cancels it (after telling the other side).
    member _.Call(f: FunctionRef, args: byte[] list, ct: CancellationToken) : Task<byte[]> =
        task {
            ct.ThrowIfCancellationRequested()

            if not (isNull closedReason) then
                raise (TransportClosedError(string link.Remote, closedReason))

            let id = Interlocked.Increment &nextId
            let reply = TaskCompletionSource<Result<byte[], RemoteErrorInfo>>(TaskCreationOptions.RunContinuationsAsynchronously)
            pending[id] <- reply

            try
                do! link.Send(Start(id, f, args, Unary))
            with e ->
                pending.TryRemove id |> ignore
                ct.ThrowIfCancellationRequested()
                raise (TransportClosedError(string link.Remote, e.Message))

            // A cancellation callback must never throw (it would surface as a new error in
            // whatever cancelled us): a closed link just means there is nobody left to tell.
            use _ =
                ct.Register(fun () ->
                    if pending.ContainsKey id then
                        try
                            link.Send(CancelCall id).AsTask().ContinueWith(fun (t: Task) -> t.Exception |> ignore) |> ignore
                        with _ ->
                            ())

            let! outcome =
                task {
                    try
                        return! reply.Task
                    with :? TransportClosedError when ct.IsCancellationRequested ->
                        // We cancelled and the actor went away (the cancel ladder): that is our
                        // cancellation, not a new error.
                        return raise (OperationCanceledException ct)
                }

            match outcome with
            | Ok value -> return value
            | Result.Error info when ct.IsCancellationRequested && info.TypeName = typeof<OperationCanceledException>.FullName ->
                return raise (OperationCanceledException ct)
            | Result.Error info -> return raise (RemoteActorError info)
        }

    /// Completes when every call this side is running has ended.
    member _.Drain() : Task = Task.WhenAll(serving.Values |> Seq.toArray)

    /// Closes the connection.
    member _.DisposeAsync() = link.DisposeAsync()
