namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open TractorNet.Runtime

/// <summary>
/// A handle to an actor: call functions in it (<c>Run</c>), cancel it (<c>CancelActor</c>).
/// Returned by <c>startActor</c> (a daemon) and <c>runInActor</c> (as <c>Portal&lt;'T&gt;</c>, which also has the
/// function's <c>Result</c>); <c>Actor.portal ()</c> is the current actor's own (tractor's local portal);
/// <c>findActor</c> gives a peer's.
/// </summary>
type Portal internal (child: ChildActor, self: ActorId, codec: IPayloadCodec, remote: Peer, remotePid: int) =
    // `child` is null for the current actor's own portal (its calls run here, in-process) and
    // for a peer reached by discovery (`remote`: a connection by address; never reaped by us).
    let isPeer = not (isNull (box remote))
    let isSelf = isNull (box child) && not isPeer
    // A supervisor (Supervision/) re-points the portal of a child it restarts at the new process;
    // between the death and the restart, calls wait at `gate` (faulted when there is no restart).
    // Written by the supervisor's loop only, `child` before `gate` is opened.
    let mutable child = child
    let mutable self = self
    let mutable gate: Task = Task.CompletedTask
    let mutable waiting: TaskCompletionSource = null

    let refuse (what: string) =
        invalidOp $"cannot {what} actor '{self}' from itself: that needs two actors (use a portal of another actor)"

    internal new(child: ChildActor, codec: IPayloadCodec) = Portal(child, child.Id, codec, Unchecked.defaultof<_>, 0)
    internal new(child: ChildActor, self: ActorId, codec: IPayloadCodec) = Portal(child, self, codec, Unchecked.defaultof<_>, 0)

    /// <summary>The actor's identity.</summary>
    member _.Actor: ActorId = self
    /// <summary>The actor's name.</summary>
    member _.Name = self.Name
    /// <summary>The actor's OS process id.</summary>
    member _.Pid = if isPeer then remotePid elif isSelf then Environment.ProcessId else child.Pid

    /// <summary>Whether this actor is a peer reached by discovery, not our child: its failures surface
    /// at the call site, and we never cancel or reap it.</summary>
    member _.IsPeer = isPeer

    member internal _.Child = child

    /// The connection to the actor, for contexts and streams, which need two actors: refused,
    /// clearly and at the call site, on the current actor's own portal.
    member internal _.Peer: Peer =
        if isPeer then remote elif isSelf then refuse "open a context or stream to" else child.Peer

    /// What a broken connection to this actor means to a context or stream call: the actor's
    /// death (the one ActorDiedError its supervisor raises too, so it is reported once), unless
    /// it was asked to cancel.
    member internal _.DeathOf: Func<exn, Task<exn>> =
        Func<exn, Task<exn>>(fun e -> if isPeer || child.CancelRequested.IsCompleted then Task.FromResult e else child.DeathError e)

    /// Encodes the arguments (failing here, in the caller, when one cannot be serialised).
    member internal _.Prepare(call: PreparedCall) = Arguments.encode codec call

    /// Calls a prepared function in the actor and decodes its value (on the current actor's own
    /// portal: runs it here, with the values themselves, as tractor's local portal does).
    member internal _.Invoke<'T>(call: PreparedCall, arguments: byte[] list, ct: CancellationToken) : Task<'T> =
        task {
            if isSelf then
                let! value = CallContext.run ct (fun () -> FunctionInvoker.invoke call.Method call.Arguments)
                return unbox<'T> value
            elif isPeer then
                let! payload = remote.Call(call.Function, arguments, ct)
                return codec.Decode(typeof<'T>, payload) :?> 'T
            else
                let g = gate

                if not g.IsCompletedSuccessfully then
                    do! g.WaitAsync ct

                let child = child

                let! payload =
                    task {
                        try
                            return! child.Peer.Call(call.Function, arguments, ct)
                        with :? TransportClosedError as e when not child.CancelRequested.IsCompleted ->
                            // The connection broke under the call: if the actor died, say so (the
                            // same error object its supervisor raises, so it is reported once).
                            let! death = child.DeathError e
                            return raise death
                    }

                return codec.Decode(typeof<'T>, payload) :?> 'T
        }

    /// <summary>
    /// Calls a function (<c>unit -&gt; Task&lt;'T&gt;</c>, e.g. <c>portal.Run movieTheatreQuestion</c> or
    /// <c>portal.Run(fun () -&gt; add 1 2)</c>) in the actor and returns its value. A remote error raises
    /// <see cref="T:TractorNet.RemoteActorError"/>; the ambient cancel scope cancels the remote call.
    /// </summary>
    member this.Run([<ReflectedDefinition(true)>] f: Expr<unit -> Task<'T>>) : Task<'T> =
        let call = FunctionRefs.ofQuotation f
        let args = this.Prepare call
        this.Invoke<'T>(call, args, CancelScope.CurrentToken)

    /// <summary>Calls an <c>Async</c> function in the actor and returns its value.</summary>
    member this.Run([<ReflectedDefinition(true)>] f: Expr<unit -> Async<'T>>) : Task<'T> =
        let call = FunctionRefs.ofQuotation f
        let args = this.Prepare call
        this.Invoke<'T>(call, args, CancelScope.CurrentToken)

    /// <summary>Calls a <c>ValueTask</c> function in the actor and returns its value.</summary>
    member this.Run([<ReflectedDefinition(true)>] f: Expr<unit -> ValueTask<'T>>) : Task<'T> =
        let call = FunctionRefs.ofQuotation f
        let args = this.Prepare call
        this.Invoke<'T>(call, args, CancelScope.CurrentToken)

    /// <summary>Calls a prepared function of <c>unit</c> (<see cref="M:TractorNet.Remote.Function``2(Microsoft.FSharp.Quotations.FSharpExpr{Microsoft.FSharp.Core.FSharpFunc{``0,System.Threading.Tasks.Task{``1}}})"/>)
    /// in the actor and returns its value: the fast form of <c>portal.Run(fun () -&gt; f ())</c> for hot loops.</summary>
    member this.Run(f: RemoteFunction<unit, 'T>) : Task<'T> =
        this.RunMethod<'T>(f.With(if f.Prepared.ArgumentNames.Length = 0 then [||] else [| null |]), CancelScope.CurrentToken)

    /// <summary>Calls a prepared function with its argument (a tuple, for a function of several parameters,
    /// may also be given whole) in the actor and returns its value: the fast form of <c>portal.Run(fun () -&gt; f a)</c>.</summary>
    member this.Run(f: RemoteFunction<'A, 'T>, a: 'A) : Task<'T> =
        let arguments =
            if f.Prepared.ArgumentNames.Length > 1 then
                Microsoft.FSharp.Reflection.FSharpValue.GetTupleFields(box a)
            else
                [| box a |]

        this.RunMethod<'T>(f.With arguments, CancelScope.CurrentToken)

    /// <summary>Calls a prepared function of two parameters in the actor and returns its value.</summary>
    member this.Run(f: RemoteFunction<'A * 'B, 'T>, a: 'A, b: 'B) : Task<'T> =
        this.RunMethod<'T>(f.With [| box a; box b |], CancelScope.CurrentToken)

    /// <summary>Calls a prepared function of three parameters in the actor and returns its value.</summary>
    member this.Run(f: RemoteFunction<'A * 'B * 'C, 'T>, a: 'A, b: 'B, c: 'C) : Task<'T> =
        this.RunMethod<'T>(f.With [| box a; box b; box c |], CancelScope.CurrentToken)

    /// Calls a method with explicit arguments (the C# facade's entry).
    member internal this.RunMethod<'T>(call: PreparedCall, ct: CancellationToken) : Task<'T> =
        let args = this.Prepare call
        this.Invoke<'T>(call, args, ct)

    /// <summary>
    /// Asks the actor to cancel everything and exit; true if it acknowledged within the
    /// graceful bound (its process is reaped by the nursery either way). A supervised actor is
    /// thereby stopped for good (not restarted); while it is being restarted, its next process is.
    /// </summary>
    member _.CancelActor() : Task<bool> =
        if isSelf then
            refuse "cancel"
        elif isPeer then
            invalidOp $"cannot cancel actor '{self}': it is a peer reached by discovery, not a child of this actor (only its parent cancels it)"
        elif gate.IsCompletedSuccessfully then
            child.RequestCancel()
        else
            // A supervised actor between two processes: cancel the next one (the supervisor then
            // stops it for good), or nothing if there will be none.
            task {
                try
                    do! gate
                    return! child.RequestCancel()
                with _ ->
                    return true
            }

    /// Calls wait from now on until the supervisor restarts the actor (Repoint) or gives up (Retire).
    member internal _.Suspend() =
        if isNull waiting then
            waiting <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
            gate <- waiting.Task

    /// Points the portal at a new process of the actor and lets waiting calls through.
    member internal _.Repoint(next: ChildActor) =
        self <- next.Id
        child <- next
        gate <- Task.CompletedTask

        if not (isNull waiting) then
            waiting.TrySetResult() |> ignore
            waiting <- null

    /// The actor will not come back: waiting calls, and later ones, fail with `error`.
    member internal _.Retire(error: exn) =
        let failed = Task.FromException error
        failed.Exception |> ignore // observed: nobody may call again
        gate <- failed

        if not (isNull waiting) then
            waiting.TrySetException error |> ignore
            waiting.Task.Exception |> ignore
            waiting <- null

    override this.ToString() = $"Portal({self}, pid {this.Pid})"

/// <summary>The portal of a <c>runInActor</c> child: <c>Result()</c> is the function's value.</summary>
[<Sealed>]
type Portal<'T> internal (child: ChildActor, codec: IPayloadCodec, result: Task<'T>) =
    inherit Portal(child, codec)

    /// <summary>
    /// The function's value (waits for it). Raises <see cref="T:TractorNet.RemoteActorError"/> if the function failed.
    /// Also valid after the nursery has exited.
    /// </summary>
    member _.Result() : Task<'T> = result
