namespace TractorNet.Runtime

open System
open System.Diagnostics
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
    // ---- state (the IdTables are thread-safe) ----
    let pending = IdTable<TaskCompletionSource<Result<byte[], RemoteErrorInfo>>>()
    let running = IdTable<CancellationTokenSource>()
    let serving = IdTable<Task>()
    /// Context and stream calls in progress, by key (+id: ours, -id: the peer's).
    let endpoints = IdTable<ContextEndpoint>()
    // The receive loop's last lookup (its own): stream items come in runs for one key.
    let mutable lastKey = 0L
    let mutable lastEndpoint: ContextEndpoint = null
    // Our call ids (Interlocked).
    let mutable nextId = 0L
    // Why the connection closed: set by `fail` before it walks the calls, read by new calls.
    let mutable closedReason: string = null
    let loopDone = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    // Set while the receive loop hands a call or a reply to the thread it ran on (see `handOff`);
    // a loop started meanwhile hands nothing off, so hand-offs never nest.
    let mutable handingOff = 0
    // Calls handed off that have not yet reached their first wait (so are not in `serving` yet).
    let mutable startingHere = 0

    /// Completes a call's reply on the thread pool with its outcome, or with `error` when not
    /// null: its continuations (the caller's code) run synchronously, and must never run inside
    /// the receive loop or `fail`.
    let settleLater (tcs: TaskCompletionSource<Result<byte[], RemoteErrorInfo>>) (outcome: Result<byte[], RemoteErrorInfo>) (error: exn) =
        ThreadPool.UnsafeQueueUserWorkItem(
            (fun (struct (t: TaskCompletionSource<Result<byte[], RemoteErrorInfo>>, o, e: exn)) ->
                (if isNull e then t.TrySetResult o else t.TrySetException e) |> ignore),
            struct (tcs, outcome, error),
            false
        )
        |> ignore

    let completeLater tcs outcome = settleLater tcs outcome null

    // ---- serving the peer's calls ----
    /// Sends a served call's outcome, marking its span (the current activity, when tracing) by it.
    let reply (m: Message) =
        match m with
        | Error(_, info) -> Tracing.failCurrent info.TypeName info.Message
        | Cancelled _ -> Tracing.cancelCurrent ()
        | _ -> ()

        link.Send m

    let refuse (id: int64) (typeName: string) (message: string) =
        reply (Error(id, { Source = self; TypeName = typeName; Message = message; StackTrace = ""; RelayPath = []; Inner = [] }))

    let execute (id: int64) (f: FunctionRef) (args: byte[] list) (ct: CancellationToken) =
        task {
            TractorNet.SpawnTrace.mark "call.start"
            match FunctionRefs.resolve (enabledModules ()) f with
            | Result.Error why -> do! refuse id "TractorNet.FunctionNotEnabled" why
            | Ok m ->
                let parameters = m.GetParameters()

                if parameters.Length <> args.Length then
                    do! refuse id "System.ArgumentException" $"'{f.Display}' takes {parameters.Length} argument(s), got {args.Length}"
                else
                    try
                        // A plain loop: List.mapi/Array.ofList would be JIT-compiled on a new actor's first call.
                        let values = Array.CreateInstance(typeof<obj>, parameters.Length) :?> obj[]
                        let mutable rest = args

                        for i in 0 .. values.Length - 1 do
                            values[i] <- codec.Decode(parameters[i].ParameterType, rest.Head)
                            rest <- rest.Tail

                        let! result = CallContext.run ct (fun () -> FunctionInvoker.invoke m values)
                        let encoded = codec.Encode(FunctionInvoker.resultType m, result)
                        TractorNet.SpawnTrace.markAndFlush "call.returning"
                        do! link.SendNow(Return(id, encoded))
                    with e ->
                        let e =
                            match e with
                            | :? OperationCanceledException when ct.IsCancellationRequested ->
                                OperationCanceledException($"call '{f.Display}' was cancelled in actor '{self}'") :> exn
                            | e -> e

                        // Debug mode: the crash handler opens the REPL here before the error leaves.
                        if not (isNull DebugHooks.Current || ct.IsCancellationRequested) then
                            do! DebugHooks.Current.PostMortem e

                        try
                            do! reply (Error(id, RemoteErrorInfo.ofException self e))
                        with _ ->
                            () // the caller is gone; nothing to tell
        }

    // ---- context and stream endpoints ----
    let endpoint (key: int64) : ContextEndpoint =
        if key = lastKey && not (isNull lastEndpoint) then
            lastEndpoint
        else
            match endpoints.TryGetValue key with
            | true, ep ->
                lastKey <- key
                lastEndpoint <- ep
                ep
            | _ -> null

    let forget (key: int64) =
        endpoints.Remove key

        if lastKey = key then
            lastEndpoint <- null

    // ---- serving the peer's contexts and streams ----
    /// Runs a context or one-way stream call (callee side) and sends its outcome.
    let executeStreaming (id: int64) (f: FunctionRef) (args: byte[] list) (kind: CallKind) (ep: ContextEndpoint) (ct: CancellationToken) =
        task {
            match FunctionRefs.resolve (enabledModules ()) f with
            | Result.Error why -> do! refuse id "TractorNet.FunctionNotEnabled" why
            | Ok m ->
                let parameters = m.GetParameters()
                let isContext = (match kind with Context _ -> true | _ -> false)
                let skip = if isContext then 1 else 0
                let itemType = if isContext then None else StreamPump.itemType m.ReturnType

                if isContext && (parameters.Length = 0 || not (ContextArgument.isContext parameters[0].ParameterType)) then
                    do! refuse id "System.ArgumentException" $"'{f.Display}' is not a context function: its first parameter must be a Context<'T>"
                elif not isContext && itemType.IsNone then
                    do! refuse id "System.ArgumentException" $"'{f.Display}' does not return an IAsyncEnumerable<'T>, so it cannot be streamed"
                elif parameters.Length - skip <> args.Length then
                    do! refuse id "System.ArgumentException" $"'{f.Display}' takes {parameters.Length - skip} argument(s), got {args.Length}"
                else
                    try
                        let decoded =
                            List.mapi (fun i blob -> codec.Decode(parameters[i + skip].ParameterType, blob)) args

                        let values =
                            if isContext then
                                ContextArgument.create parameters[0].ParameterType ep :: decoded |> Array.ofList
                            else
                                Array.ofList decoded

                        let! result =
                            CallContext.run ct (fun () ->
                                match itemType with
                                | Some t ->
                                    task {
                                        let! source = FunctionInvoker.invoke m values
                                        do! StreamPump.run t source ep ct
                                        return box ()
                                    }
                                | None -> FunctionInvoker.invoke m values)

                        // A context that failed (a stream overrun) fails the call, whatever its
                        // function made of it.
                        let failure = ep.Failure

                        if isNull failure then
                            do! ep.FinishCallee true
                            let resultType = if isContext then FunctionInvoker.resultType m else typeof<unit>
                            do! link.Send(Return(id, codec.Encode(resultType, result)))
                        else
                            do! ep.FinishCallee false
                            do! reply (Error(id, RemoteErrorInfo.ofException self failure))
                    with e ->
                        try
                            do! ep.FinishCallee false

                            match e with
                            | :? OperationCanceledException when ct.IsCancellationRequested && not (isNull ep.Failure) ->
                                // Cancelled by the context's failure: that is how it ended.
                                do! reply (Error(id, RemoteErrorInfo.ofException self ep.Failure))
                            | :? OperationCanceledException when ct.IsCancellationRequested ->
                                let canceller =
                                    match ep.CancelledBy, CancelCause.current () with
                                    | ValueSome who, _ -> who
                                    | ValueNone, ValueSome who -> who
                                    | ValueNone, ValueNone -> self

                                do! reply (Cancelled(id, canceller, $"'{f.Display}' was cancelled in actor '{self}'"))
                            | e ->
                                if not (isNull DebugHooks.Current) then
                                    do! DebugHooks.Current.PostMortem e

                                do! reply (Error(id, RemoteErrorInfo.ofException self e))
                        with _ ->
                            () // the caller is gone; nothing to tell
        }

    /// Runs one call the other side asked for; `cts` is registered in `running` already.
    let serve (id: int64) (f: FunctionRef) (args: byte[] list) (trace: string) (cts: CancellationTokenSource) =
        task {
            // The call's span, parented to the caller's (or none): never an activity this loop inherited.
            let span = Tracing.enterServer f.Method trace

            try
                do! execute id f args cts.Token
            finally
                running.Remove id
                cts.Dispose()

                if not (isNull span) then
                    span.Dispose()
        }

    // ---- receiving ----
    let fail (reason: string) =
        closedReason <- reason

        for id in pending.Keys() do
            match pending.TryRemove id with
            | true, tcs ->
                settleLater tcs Unchecked.defaultof<_> (TransportClosedError(string link.Remote, reason))
            | _ -> ()

        for key in endpoints.Keys() do
            match endpoints.TryGetValue key with
            | true, ep ->
                forget key
                ep.Break(TransportClosedError(string link.Remote, reason))
            | _ -> ()

        // The caller of our running calls is gone: cancel them.
        for cts in running.Values() do
            try
                cts.Cancel()
            with _ ->
                ()

    /// Reads and dispatches messages until the connection ends, or until it hands a call's start or
    /// reply to its own thread: then a new loop takes over the reading (its socket read in flight,
    /// so it runs on whichever thread completes that read) and this thread runs the call, or the
    /// caller's code waiting for the reply, directly. That saves the thread hand-off a round trip
    /// otherwise pays on each side, which on a busy machine costs more than the message itself.
    /// Only when nothing is buffered: buffered frames are the loop's to read on at once.
    let rec receiveLoop () : Task =
        task {
            let mutable handOff: Action = null
            // false when a hand-off passes the connection to the next loop
            let mutable ended = true

            try
                try
                    let mutable go = true

                    while go do
                        let! more = link.ReceiveNext()
                        let next = if more then link.Current else Unchecked.defaultof<_>

                        if not more then
                            go <- false
                            fail "the peer closed the connection"
                        elif isNull (box next.Message) then
                            // Stream items (the hot path): decoded straight from the frame.
                            let ep = endpoint next.Key

                            if not (isNull ep) then
                                ep.OnItems(next.Items, next.Count, next.Extra)
                        else
                            match next.Message with
                            | Yield(key, item) ->
                                let ep = endpoint key

                                if not (isNull ep) then
                                    ep.OnItem(ReadOnlyMemory item)
                            | Yields(key, items) ->
                                let ep = endpoint key

                                if not (isNull ep) then
                                    for item in items do
                                        ep.OnItem(ReadOnlyMemory item)
                            | Credit(key, n) ->
                                let ep = endpoint key

                                if not (isNull ep) then
                                    ep.OnCredit n
                            | Stop key ->
                                let ep = endpoint key

                                if not (isNull ep) then
                                    ep.OnStop()
                            | StreamClosed key ->
                                let ep = endpoint key

                                if not (isNull ep) then
                                    ep.OnPeerClosed()
                            | Overrun key ->
                                let ep = endpoint key

                                if not (isNull ep) then
                                    ep.OnPeerOverrun()
                            | Started(id, value) ->
                                let ep = endpoint id

                                if not (isNull ep) then
                                    ep.OnStarted value
                            | Cancelled(id, canceller, reason) ->
                                let ep = endpoint id

                                if not (isNull ep) then
                                    forget id
                                    ep.OnOutcome(CancelledBy(canceller, reason))
                            | Return(id, value) ->
                                match pending.TryRemove id with
                                | true, tcs ->
                                    if Volatile.Read &handingOff = 0 && not link.HasBuffered then
                                        handOff <- Action(fun () -> tcs.TrySetResult(Ok value) |> ignore)
                                        go <- false
                                        ended <- false
                                    else
                                        completeLater tcs (Ok value)
                                | _ ->
                                    let ep = endpoint id

                                    if not (isNull ep) then
                                        forget id
                                        ep.OnOutcome(Returned value)
                            | Error(id, info) ->
                                match pending.TryRemove id with
                                | true, tcs -> completeLater tcs (Result.Error info)
                                | _ ->
                                    let ep = endpoint id

                                    if not (isNull ep) then
                                        forget id
                                        ep.OnOutcome(Failed info)
                            | Start(id, f, args, ((Context(window, overruns) | Stream(window, overruns)) as kind), trace) ->
                                // The endpoint exists before the next message is read, so the
                                // items and cancels right behind the Start find it.
                                let cts = CancellationTokenSource.CreateLinkedTokenSource runtimeToken
                                running[id] <- cts
                                let options = { BufferSize = max 1 window; Overruns = enum<Overruns> overruns }
                                let ep = ContextEndpoint(link, codec, -id, options, self, cts)
                                ep.Watch(cts.Token, false)
                                endpoints[-id] <- ep

                                match kind with
                                | Stream _ -> ep.OnCredit window
                                | _ -> ()

                                let run () =
                                    task {
                                        let span = Tracing.enterServer f.Method trace

                                        try
                                            try
                                                do! executeStreaming id f args kind ep cts.Token
                                            finally
                                                forget -id
                                                ep.Release()
                                                running.Remove id
                                                cts.Dispose()

                                                if not (isNull span) then
                                                    span.Dispose()
                                        with _ ->
                                            ()
                                    }

                                let t = Task.Run<unit>(fun () -> run ())
                                serving[id] <- t
                                t.ContinueWith(fun (_: Task) -> serving.Remove id) |> ignore
                            | Start(id, f, args, _, trace) ->
                                // Off the receive loop: user code may block its thread, and the
                                // loop must stay free to hear CancelCall/CancelActor.
                                // The call's cancellation exists before the next message is
                                // read, so a CancelCall right behind the Start finds it.
                                let cts = CancellationTokenSource.CreateLinkedTokenSource runtimeToken
                                running[id] <- cts

                                let track (t: Task) =
                                    if not t.IsCompleted then
                                        serving[id] <- t
                                        t.ContinueWith(fun (_: Task) -> serving.Remove id) |> ignore

                                if Volatile.Read &handingOff = 0 && not link.HasBuffered then
                                    // Runs here once the next loop reads on: user code may block this
                                    // thread, never the loop, which must hear CancelCall/CancelActor.
                                    Interlocked.Increment &startingHere |> ignore

                                    handOff <-
                                        Action(fun () ->
                                            try
                                                track (serve id f args trace cts)
                                            finally
                                                Interlocked.Decrement &startingHere |> ignore)
                                    go <- false
                                    ended <- false
                                else
                                    track (Task.Run<unit>(fun () -> serve id f args trace cts))
                            | CancelCall id ->
                                match endpoints.TryGetValue -id with
                                | true, ep when ep.CancelledBy.IsNone -> ep.CancelledBy <- ValueSome link.Remote
                                | _ -> ()

                                match running.TryGetValue id with
                                | true, cts -> cts.Cancel()
                                | _ -> ()
                            | CancelActor as control ->
                                CancelCause.record link.Remote
                                onControl control
                            | control -> onControl control
                with e ->
                    ended <- true
                    fail e.Message
            finally
                if ended then
                    loopDone.TrySetResult() |> ignore

            if not ended then
                // The next loop first, so that it reads on while this thread runs the hand-off.
                Interlocked.Increment &handingOff |> ignore

                try
                    receiveLoop () |> ignore
                finally
                    Interlocked.Decrement &handingOff |> ignore

                handOff.Invoke()
        }

    // ---- lifetime ----
    /// The actor at the other end.
    member _.Remote = link.Remote

    /// Starts the receive loop (once).
    member _.Start() = receiveLoop () |> ignore

    /// Fails every call in flight with TransportClosedError(`reason`) and refuses new ones: for
    /// a peer whose receive loop never started (the actor died before it was ready).
    member _.Abort(reason: string) = fail reason

    /// Completes when the connection has closed (cleanly or not).
    member _.Closed: Task = loopDone.Task

    // ---- calling the peer ----
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
            // Completed with synchronous continuations, on purpose: by the receive loop's hand-off
            // (this code then runs on the thread that read the reply) or on the thread pool.
            let reply = TaskCompletionSource<Result<byte[], RemoteErrorInfo>>()
            pending[id] <- reply
            // The call's span (when anyone listens), ended below however the call ends.
            let span = Tracing.startClient f.Method
            use _ = span

            try
                do! link.SendNow(Start(id, f, args, Unary, Tracing.contextOfSpan span))
            with e ->
                pending.Remove id
                Tracing.markSpanBy span e
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
                Tracing.cancelSpan span
                return raise (OperationCanceledException ct)
            | Result.Error info ->
                Tracing.failSpan span info.TypeName info.Message
                return raise (RemoteActorError info)
        }

    /// Starts a context or one-way stream call (caller side) and returns its endpoint.
    /// `prepare` runs before the Start goes out (a one-way stream opens its inbox there);
    /// `ambient` cancels the call (locally at once, remotely by CancelCall).
    member _.OpenCall
        (f: FunctionRef, args: byte[] list, kind: CallKind, options: StreamOptions, ambient: CancellationToken, prepare: ContextEndpoint -> unit)
        : Task<ContextEndpoint> =
        task {
            ambient.ThrowIfCancellationRequested()

            if not (isNull closedReason) then
                raise (TransportClosedError(string link.Remote, closedReason))

            let id = Interlocked.Increment &nextId
            let ep = ContextEndpoint(link, codec, id, options, self, new CancellationTokenSource())
            prepare ep
            endpoints[id] <- ep

            // `fail` sets the reason before it walks the endpoints: one of us sees the other.
            if not (isNull closedReason) then
                forget id
                raise (TransportClosedError(string link.Remote, closedReason))

            // The context's or stream's span lasts until its outcome; it is not made current here (the caller's
            // code goes on beside it).
            let span = Tracing.startBeside f.Method

            if not (isNull span) then
                ep.Outcome.ContinueWith(fun (t: Task<CallOutcome>) ->
                    if t.IsCompletedSuccessfully then
                        match t.Result with
                        | Failed info -> Tracing.failSpan span info.TypeName info.Message
                        | CancelledBy _ -> Tracing.cancelSpan span
                        | _ -> ()
                    else
                        Tracing.failSpan span "TractorNet.TransportClosedError" "the call ended without an outcome"

                    span.Dispose())
                |> ignore

            try
                do! link.Send(Start(id, f, args, kind, Tracing.contextOfSpan span))
            with e ->
                forget id
                raise (TransportClosedError(string link.Remote, e.Message))

            ep.Watch(ambient, true)
            return ep
        }

    // ---- ending ----
    /// Completes when every call this side is running has ended.
    member _.Drain() : Task =
        task {
            // A handed-off call joins `serving` at its first wait; until then it counts here. Polled:
            // this runs once, as the actor ends, and the window is a call's synchronous start.
            while Volatile.Read &startingHere > 0 do
                do! Task.Delay 1

            do! Task.WhenAll(serving.Values())
        }

    /// Closes the connection.
    member _.DisposeAsync() = link.DisposeAsync()
