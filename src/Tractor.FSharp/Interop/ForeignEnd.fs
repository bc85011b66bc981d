namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks

/// <summary>
/// The foreign task's end of a channel opened with <c>openChannelFrom</c> (F#) / <c>Tractor.OpenChannelFrom</c> (C#)
/// (tractor's <c>LinkedTaskChannel</c> as the asyncio side sees it). The foreign code first calls
/// <see cref="M:TractorNet.ForeignEnd`3.Started(`0)"/>, which unblocks the structured side, then exchanges messages.
/// When the structured side ends, fails or is cancelled, <see cref="P:TractorNet.ForeignEnd`3.Token"/> is cancelled:
/// pending and later sends and receives throw <see cref="T:System.OperationCanceledException"/>.
/// </summary>
/// <typeparam name="First">The type of the first message.</typeparam>
/// <typeparam name="Out">Messages this side sends to the structured side.</typeparam>
/// <typeparam name="In">Messages this side receives from the structured side.</typeparam>
[<Sealed>]
type ForeignEnd<'First, 'Out, 'In> internal (link: ForeignLink<'Out, 'In>, first: TaskCompletionSource<'First>) =

    /// <summary>Sends the first message (trio's <c>task_status.started</c>): the structured side's body starts with
    /// it. Call it once, before <see cref="M:TractorNet.ForeignEnd`3.SendAsync(`1)"/>.</summary>
    /// <exception cref="T:System.InvalidOperationException">Called more than once.</exception>
    member _.Started(value: 'First) : unit =
        if not (first.TrySetResult value) then
            raise (InvalidOperationException $"The foreign task '{link.Name}' called Started more than once.")

    /// <summary>True once <see cref="M:TractorNet.ForeignEnd`3.Started(`0)"/> has been called.</summary>
    member _.IsStarted: bool = first.Task.IsCompleted

    /// <summary>Sends a message to the structured side, waiting while its queue is full.</summary>
    /// <exception cref="T:System.InvalidOperationException"><see cref="M:TractorNet.ForeignEnd`3.Started(`0)"/> has not been called.</exception>
    /// <exception cref="T:System.OperationCanceledException">The structured side stopped this task.</exception>
    member _.SendAsync(value: 'Out) : ValueTask =
        if not first.Task.IsCompleted then
            raise (InvalidOperationException $"The foreign task '{link.Name}' sent a message before calling Started.")

        link.Up.Writer.WriteAsync(value, link.Stop.Token)

    /// <summary>Receives the next message from the structured side, waiting for one.</summary>
    /// <exception cref="T:System.OperationCanceledException">The structured side stopped this task.</exception>
    member _.ReceiveAsync() : ValueTask<'In> = link.Down.Reader.ReadAsync link.Stop.Token

    /// <summary>Cancelled when the structured side stops this task: it ended, failed or was cancelled. The same token
    /// the foreign function received.</summary>
    member _.Token: CancellationToken = link.Stop.Token
