namespace TractorNet

open System
open System.Collections.Generic
open System.Runtime.InteropServices
open System.Threading
open System.Threading.Tasks

/// <summary>
/// The structured side's end of a channel opened with <c>openChannelFrom</c> (F#) / <c>Tractor.OpenChannelFrom</c>
/// (C#): tractor's <c>LinkedTaskChannel</c>. Send with <see cref="M:TractorNet.LinkedChannel`2.SendAsync(`0,System.Threading.CancellationToken)"/>,
/// receive with <see cref="M:TractorNet.LinkedChannel`2.ReceiveAsync(System.Threading.CancellationToken)"/> or by
/// iterating (<c>await foreach</c>, <c>for .. in</c> in <c>taskSeq</c>), which ends quietly when the foreign task returns.
/// Valid while the body that received it runs.
/// </summary>
/// <typeparam name="Send">Messages this side sends to the foreign task.</typeparam>
/// <typeparam name="Receive">Messages this side receives from the foreign task.</typeparam>
[<Sealed>]
type LinkedChannel<'Send, 'Receive> internal (link: ForeignLink<'Receive, 'Send>, bodyToken: CancellationToken) =
    let reader = link.Up.Reader
    let writer = link.Down.Writer

    // One token for the body's scope, the caller's token and, where asked, the foreign task's return. Allocates only
    // when there is more than one to combine.
    let combined (ct: CancellationToken) (returned: bool) =
        if not ct.CanBeCanceled && not returned then
            null
        elif returned && ct.CanBeCanceled then
            CancellationTokenSource.CreateLinkedTokenSource(bodyToken, ct, link.Returned)
        elif returned then
            CancellationTokenSource.CreateLinkedTokenSource(bodyToken, link.Returned)
        else
            CancellationTokenSource.CreateLinkedTokenSource(bodyToken, ct)

    let tokenOf (cts: CancellationTokenSource) =
        match cts with
        | null -> bodyToken
        | c -> c.Token

    let rec receiveSlow (ct: CancellationToken) : Task<'Receive> =
        task {
            use cts = combined ct false
            let! more = reader.WaitToReadAsync(tokenOf cts)

            if not more then
                return raise (link.Exited())
            else
                match reader.TryRead() with
                | true, v -> return v
                | _ -> return! receiveSlow ct
        }

    /// <summary>Sends a message to the foreign task, waiting while its queue is full.</summary>
    /// <param name="value">The message.</param>
    /// <param name="cancellationToken">Cancels the wait for room.</param>
    /// <exception cref="T:TractorNet.ForeignTaskExitedError">The foreign task has returned.</exception>
    member _.SendAsync(value: 'Send, [<Optional; DefaultParameterValue(CancellationToken())>] cancellationToken: CancellationToken) : Task =
        if link.Returned.IsCancellationRequested then
            Task.FromException(link.Exited())
        elif writer.TryWrite value then
            Task.CompletedTask
        else
            task {
                use cts = combined cancellationToken true

                try
                    do! writer.WriteAsync(value, cts.Token)
                with :? OperationCanceledException when link.Returned.IsCancellationRequested && not bodyToken.IsCancellationRequested && not cancellationToken.IsCancellationRequested ->
                    raise (link.Exited())
            }

    /// <summary>Receives the next message from the foreign task, waiting for one.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="T:TractorNet.ForeignTaskExitedError">The foreign task returned and every message it sent has been read.</exception>
    member _.ReceiveAsync([<Optional; DefaultParameterValue(CancellationToken())>] cancellationToken: CancellationToken) : ValueTask<'Receive> =
        match reader.TryRead() with
        | true, v -> ValueTask<'Receive> v
        | _ -> ValueTask<'Receive>(receiveSlow cancellationToken)

    interface IAsyncEnumerable<'Receive> with
        /// Every message until the foreign task returns.
        member _.GetAsyncEnumerator(ct: CancellationToken) =
            // ReadAllAsync ends when the foreign task's return completes the queue.
            let cts = combined ct false

            let inner = reader.ReadAllAsync(tokenOf cts).GetAsyncEnumerator()

            { new IAsyncEnumerator<'Receive> with
                member _.Current = inner.Current
                member _.MoveNextAsync() = inner.MoveNextAsync()
                member _.DisposeAsync() =
                    match cts with
                    | null -> ()
                    | c -> c.Dispose()

                    inner.DisposeAsync() }
