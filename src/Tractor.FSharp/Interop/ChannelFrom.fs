namespace TractorNet

open System
open System.Threading
open System.Threading.Tasks

/// openChannelFrom's machinery (tractor's to_asyncio.open_channel_from): a foreign task linked to a structured body
/// by a two-way channel, under the rules of a task nursery.
module internal ChannelFrom =

    /// Watches the foreign task from inside the nursery while the body runs: its failure, a cancellation of its own,
    /// or a return before its first message fails the nursery (which cancels the body); a later return only closes
    /// the channel. Ends when the nursery is cancelled (the body returned, or failed).
    let private watch (link: ForeignLink<'Up, 'Down>) (started: Task) (foreign: Task) (ct: CancellationToken) : Task<unit> =
        task {
            try
                do! foreign.WaitAsync ct
            with _ ->
                () // judged below

            if foreign.IsCompleted then
                match ForeignTask.outcome foreign false with
                | ForeignOutcome.Returned ->
                    link.ForeignReturned()

                    if not started.IsCompleted then
                        raise (ForeignTaskExitedError $"The foreign task '{link.Name}' returned before its first message (Started).")
                | ForeignOutcome.Failed e -> ForeignTask.rethrow e
                | ForeignOutcome.CancelledItself c -> raise (ForeignTask.cancelledItself link.Name c)
                | ForeignOutcome.Stopped
                | ForeignOutcome.StillRunning -> ()
        }

    /// The error to raise once the foreign task has been stopped: the body's (`primary`, null if it succeeded) and
    /// whatever the stop showed. Nothing is lost; a cancellation gives way to a real error.
    let private settle (primary: exn) (stopped: ForeignOutcome) (name: string) (timeout: TimeSpan) : exn =
        match primary, stopped with
        | null, ForeignOutcome.StillRunning -> ForeignTask.stuck name timeout :> exn
        | null, ForeignOutcome.Failed e -> e
        | null, _ -> null
        | (:? OperationCanceledException), ForeignOutcome.Failed e -> e
        | p, ForeignOutcome.Failed e when not (obj.ReferenceEquals(p, e)) -> MultiErrorException [ p; e ] :> exn
        | p, _ -> p

    /// Runs `foreign` as a foreign task with a channel, waits for its first message, runs `body` with it, then stops
    /// the foreign task (bounded wait) and raises whatever went wrong on either side.
    let run
        (options: ForeignOptions)
        (name: string)
        (foreign: ForeignEnd<'First, 'Up, 'Down> -> CancellationToken -> Task)
        (body: 'First -> LinkedChannel<'Down, 'Up> -> Task<'R>)
        : Task<'R> =
        task {
            options.Validate()
            CancelScope.CurrentToken.ThrowIfCancellationRequested()
            let link = ForeignLink<'Up, 'Down>(options.Capacity, name)
            let first = TaskCompletionSource<'First>(TaskCreationOptions.RunContinuationsAsynchronously)
            let foreignEnd = ForeignEnd(link, first)

            let foreignTask =
                ForeignTask.start (fun ct -> task { do! foreign foreignEnd ct }) link.Stop.Token

            let mutable result = Unchecked.defaultof<'R>

            let! primary =
                task {
                    try
                        let! _ =
                            TaskNursery.Open(
                                Func<TaskNursery, Task>(fun n ->
                                    task {
                                        n.StartSoon(watch link first.Task foreignTask)
                                        let! f = first.Task.WaitAsync n.Token
                                        let! r = body f (LinkedChannel(link, n.Token))
                                        result <- r
                                        // Ends the watcher; the foreign task is stopped below, outside the nursery.
                                        n.Cancel()
                                    }),
                                CancellationToken.None
                            )

                        return null
                    with e ->
                        return e
                }

            let! stopped = ForeignTask.stop link.Stop foreignTask options.StopTimeout name

            match settle primary stopped name options.StopTimeout with
            | null -> return result
            | e -> return ForeignTask.rethrow e
        }
