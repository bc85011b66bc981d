namespace TractorNet

open System

/// <summary>
/// The foreign (unstructured) task returned while the structured side still needed it: before its first message
/// (<see cref="M:TractorNet.ForeignEnd`3.Started(`0)"/>), or while the structured side was waiting in
/// <see cref="M:TractorNet.LinkedChannel`2.ReceiveAsync(System.Threading.CancellationToken)"/> or sending
/// (tractor's <c>AsyncioTaskExited</c>). Iterating the channel with <c>await foreach</c> / <c>for</c> ends quietly
/// instead.
/// </summary>
type ForeignTaskExitedError(message: string) =
    inherit Exception(message)

/// <summary>
/// The foreign task ended cancelled although the structured side had not asked it to stop: it cancelled itself, or
/// some token of its own (tractor's <c>AsyncioCancelled</c>). The structured side fails with this error rather than
/// treating the foreign cancellation as its own.
/// </summary>
type ForeignCancelledError(message: string, inner: exn) =
    inherit Exception(message, inner)

/// <summary>
/// The foreign task did not end within <see cref="P:TractorNet.ForeignOptions.StopTimeout"/> after its token was
/// cancelled. .NET cannot stop a task from outside: it is left running (and logged as a warning) and the structured
/// side fails with this error, so that the leak is never silent.
/// </summary>
type ForeignTaskStuckError(message: string) =
    inherit Exception(message)

/// <summary>
/// An <see cref="T:System.IObservable`1"/> bridged to an async stream pushed more items than
/// <see cref="P:TractorNet.ForeignOptions.Capacity"/> ahead of the reader. An observable has no backpressure, so
/// the bridge fails the stream instead of buffering without bound or dropping items.
/// </summary>
type ForeignOverrunError(message: string) =
    inherit Exception(message)
