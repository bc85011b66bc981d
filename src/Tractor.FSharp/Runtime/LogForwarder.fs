namespace TractorNet.Runtime

open System
open System.Collections.Concurrent
open System.Threading
open System.Threading.Tasks
open TractorNet

/// A child's log records on their way to the parent (and on up to the root), when the root hands records to an
/// ILoggerFactory: `Enqueue` never waits (the actor is never held up by logging); a queue of `capacity` records at
/// most, beyond which records are dropped and counted; one pump at a time sends what is queued, up to `batch`
/// records per LogRecords message, with the count dropped since the previous batch.
[<Sealed>]
type internal LogForwarder(send: Message -> ValueTask, capacity: int, batch: int) =
    let queue = ConcurrentQueue<LogEntry>()
    // Records queued and not yet taken by the pump; dropped since the last batch; 1 while a pump runs.
    // All three change only through Interlocked.
    let mutable queued = 0
    let mutable dropped = 0L
    let mutable pumping = 0
    // The running (or last) pump: Flush waits for it. Written by the thread that won `pumping`.
    let mutable pump = Task.CompletedTask

    let rec drain () : Task =
        task {
            let mutable go = true

            while go do
                let items = ResizeArray<LogEntry>(min batch (max 1 (Volatile.Read &queued)))
                let mutable e = Unchecked.defaultof<LogEntry>

                while items.Count < batch && queue.TryDequeue &e do
                    items.Add e

                Interlocked.Add(&queued, -items.Count) |> ignore
                let lost = Interlocked.Exchange(&dropped, 0L)

                if items.Count > 0 || lost > 0L then
                    try
                        do! send (LogRecords(List.ofSeq items, lost))
                    with _ ->
                        // The parent is gone: nowhere to send them.
                        Interlocked.Add(&dropped, lost + int64 items.Count) |> ignore
                        queue.Clear()
                        Volatile.Write(&queued, 0)
                else
                    go <- false

            Volatile.Write(&pumping, 0)

            // A record queued after the last TryDequeue but before `pumping` went back to 0 found a pump running
            // and started none: take it now.
            if not queue.IsEmpty && Interlocked.CompareExchange(&pumping, 1, 0) = 0 then
                return! drain ()
        }

    let startPump () =
        if Interlocked.CompareExchange(&pumping, 1, 0) = 0 then
            pump <- Task.Run<unit>(Func<Task<unit>>(fun () -> task { do! drain () }))

    /// Queues one record for the parent; drops it (counted) when the queue is full. Never waits.
    member _.Enqueue(e: LogEntry) =
        if Interlocked.Increment &queued > capacity then
            Interlocked.Decrement &queued |> ignore
            Interlocked.Increment &dropped |> ignore
        else
            queue.Enqueue e

        startPump ()

    /// Sends what is queued now, waiting at most `timeout` (before the actor acknowledges its cancel and exits).
    member _.Flush(timeout: TimeSpan) : Task =
        task {
            let deadline = DateTime.UtcNow + timeout

            while (not queue.IsEmpty || Volatile.Read &pumping = 1 || Volatile.Read &dropped > 0L) && DateTime.UtcNow < deadline do
                startPump ()
                let! _ = Task.WhenAny(pump, Task.Delay(deadline - DateTime.UtcNow))
                ()
        }

    /// Records a child (or grandchild) sent up: each goes where this actor's own go; records it dropped become one
    /// warning naming it.
    static member Relay(from: ActorId, records: LogEntry list, lost: int64) =
        for e in records do
            Log.emit e

        if lost > 0L then
            Log.emit
                { Ticks = DateTime.UtcNow.Ticks
                  Level = LogLevel.Warning
                  Category = "TractorNet.Runtime"
                  Actor = from.Name
                  Uid = from.Uid
                  Pid = 0
                  Message = $"dropped {lost} log records: its queue towards the root was full" }
