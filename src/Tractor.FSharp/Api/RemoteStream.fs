namespace TractorNet

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open TractorNet.Runtime

/// <summary>
/// A one-way stream from a function in another actor (<c>portal.OpenStreamFrom f</c>). Each
/// enumeration runs the function once: its items arrive in order, with the flow policy of the
/// stream's options. Breaking out of the loop (disposing the enumerator) cancels the remote
/// generator and waits for it; a remote error raises <see cref="T:TractorNet.RemoteActorError"/> at the iteration site;
/// the actor dying raises its <see cref="T:TractorNet.ActorDiedError"/> there (the one error its nursery reports).
/// </summary>
[<Sealed>]
type RemoteStream<'T> internal (peer: Peer, call: PreparedCall, args: byte[] list, options: StreamOptions, death: Func<exn, Task<exn>>) =
    let raw =
        { new IAsyncEnumerable<'T> with
            member _.GetAsyncEnumerator(ct) = new RemoteStreamEnumerator<'T>(peer, call, args, options, death, ct) }

    let broadcast = BroadcastSlot<'T>(raw)

    /// <summary>A local fan-out keeping the last 256 items: see <c>Subscribe(bufferSize)</c>.</summary>
    member this.Subscribe() : BroadcastSubscription<'T> = this.Subscribe 256

    /// <summary>
    /// A local fan-out of one run of the stream: each subscription (one per local task) gets
    /// its own copy of every item from now on; a subscriber more than <paramref name="bufferSize"/> items behind
    /// the fastest gets <see cref="T:TractorNet.LaggedError"/>, the others carry on. The remote function starts at the
    /// first read and is cancelled when the last subscription is disposed; subscribing again
    /// after that runs it anew (the first call of each run sets the buffer size).
    /// </summary>
    member _.Subscribe(bufferSize: int) : BroadcastSubscription<'T> = broadcast.Subscribe bufferSize

    /// <summary>Runs the function in the actor and iterates its items.</summary>
    member _.GetAsyncEnumerator(ct: CancellationToken) : IAsyncEnumerator<'T> = raw.GetAsyncEnumerator ct

    interface IAsyncEnumerable<'T> with
        member this.GetAsyncEnumerator(ct) = this.GetAsyncEnumerator ct

and [<Sealed>] internal RemoteStreamEnumerator<'T>
    (peer: Peer, call: PreparedCall, args: byte[] list, options: StreamOptions, death: Func<exn, Task<exn>>, ct: CancellationToken) =
    // The caller's scope (the nursery, a cancel scope) cancels the stream, like any portal call.
    let link = AmbientLink.Of ct
    let token = link.Token

    let mutable ep: ContextEndpoint = null
    /// The stream's buffer, read directly (no wait here is cancelled by a token: the call's
    /// own cancellation ends it).
    let mutable reader: Inbox<'T> = Unchecked.defaultof<_>
    let mutable finished = false

    member private _.Start() : Task =
        task {
            let mutable inbox = Unchecked.defaultof<Inbox<'T>>

            let! e =
                ChildCalls.openCall peer death call.Function args (Stream(options.BufferSize, int options.Overruns)) options token (fun e ->
                    inbox <- e.OpenInbox<'T>(false))

            reader <- inbox
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

                return! this.Continue(reader.MoveNextAsync CancellationToken.None)
        }

    interface IAsyncEnumerator<'T> with
        member _.Current = reader.Current

        member this.MoveNextAsync() =
            if isNull ep || finished then
                ValueTask<bool>(this.StartThenRead())
            else
                let read = reader.MoveNextAsync CancellationToken.None

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
