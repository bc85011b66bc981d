namespace TractorNet

open System
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks

/// How a foreign task ended, as the structured side sees it.
[<RequireQualifiedAccess>]
type internal ForeignOutcome =
    | Returned
    /// Ended by cancellation after the structured side cancelled its token.
    | Stopped
    /// Ended by a cancellation nobody on the structured side asked for.
    | CancelledItself of cancel: exn
    | Failed of error: exn
    | StillRunning

/// Starting, judging and stopping foreign (unstructured) tasks: the rules that runTask and openChannelFrom share.
module internal ForeignTask =

    /// A readable name of the foreign function for messages: a delegate's method, or an F# function's closure class
    /// (named after the function it wraps: `echo@12` is `echo`).
    let describe (f: obj) =
        match f with
        | :? Delegate as d ->
            match d.Method.DeclaringType with
            | null -> d.Method.Name
            | t -> $"{t.Name}.{d.Method.Name}"
        | f ->
            let n = f.GetType().Name

            match n.IndexOf '@' with
            | i when i > 0 -> n.Substring(0, i)
            | _ -> n

    /// Starts `f` on the thread pool outside every cancel scope: foreign code is unstructured, the token is its only
    /// link to the structured side. A synchronous throw becomes the task's failure.
    let start (f: CancellationToken -> Task<'T>) (token: CancellationToken) : Task<'T> =
        Task.Run<'T>(
            Func<Task<'T>>(fun () ->
                // The AsyncLocal change stays inside this flow: the caller keeps its scope.
                CancelScope.SetCurrent null

                match f token with
                | null -> raise (InvalidOperationException "The foreign function returned a null task.")
                | t -> t)
        )

    /// How the finished (or not) task `t` ended; `stopRequested` says whether its token was cancelled by us.
    let outcome (t: Task) (stopRequested: bool) =
        if not t.IsCompleted then
            ForeignOutcome.StillRunning
        elif t.IsFaulted then
            let e =
                if t.Exception.InnerExceptions.Count = 1 then
                    t.Exception.InnerExceptions[0]
                else
                    t.Exception :> exn

            match e with
            | :? OperationCanceledException when stopRequested -> ForeignOutcome.Stopped
            | :? OperationCanceledException -> ForeignOutcome.CancelledItself e
            | e -> ForeignOutcome.Failed e
        elif t.IsCanceled then
            if stopRequested then
                ForeignOutcome.Stopped
            else
                ForeignOutcome.CancelledItself(TaskCanceledException t)
        else
            ForeignOutcome.Returned

    /// Rethrows `e` with its original stack trace.
    let rethrow (e: exn) : 'T =
        ExceptionDispatchInfo.Capture(e).Throw()
        Unchecked.defaultof<'T>

    let cancelledItself (name: string) (cancel: exn) =
        ForeignCancelledError($"The foreign task '{name}' was cancelled, but not by the structured side.", cancel)

    let stuck (name: string) (timeout: TimeSpan) =
        ForeignTaskStuckError(
            $"The foreign task '{name}' did not end within {timeout} after its token was cancelled; it is still running."
        )

    /// Cancels the foreign task's token and waits for it to end, at most `timeout`, whatever happens to the caller
    /// meanwhile (cancellation is awaited, bounded). A task that does not stop is logged and left behind.
    let stop (cts: CancellationTokenSource) (t: Task) (timeout: TimeSpan) (name: string) : Task<ForeignOutcome> =
        task {
            // Foreign callbacks on the token may throw: that is the foreign side's failure, seen through its task.
            try
                cts.Cancel()
            with e ->
                LayerLog.Warn $"cancelling the foreign task '{name}': a callback on its token threw {e.GetType().Name}: {e.Message}"

            if not t.IsCompleted then
                let! _ = Task.WhenAny(t, Task.Delay timeout)
                ()

            let o = outcome t true

            match o with
            | ForeignOutcome.StillRunning -> LayerLog.Warn $"the foreign task '{name}' did not stop within {timeout} of its cancellation; it is left running"
            | _ -> cts.Dispose()

            return o
        }

    /// Runs `f` as a foreign task (tractor's to_asyncio.run_task): its value or error is the caller's; a cancellation
    /// of the caller's scope cancels its token and waits for it (bounded by `options.StopTimeout`).
    let run (options: ForeignOptions) (name: string) (f: CancellationToken -> Task<'T>) : Task<'T> =
        task {
            options.Validate()
            let ambient = CancelScope.CurrentToken
            ambient.ThrowIfCancellationRequested()
            let cts = new CancellationTokenSource()
            let t = start f cts.Token

            try
                do! (t :> Task).WaitAsync ambient
            with _ ->
                () // judged below: the task's outcome, or the caller's cancellation

            if t.IsCompleted then
                cts.Dispose()

                match outcome t false with
                | ForeignOutcome.Returned -> return t.Result
                | ForeignOutcome.Failed e -> return rethrow e
                | ForeignOutcome.CancelledItself c -> return raise (cancelledItself name c)
                | ForeignOutcome.Stopped
                | ForeignOutcome.StillRunning -> return invalidOp "unreachable: a finished task the caller did not stop"
            else
                match! stop cts t options.StopTimeout name with
                | ForeignOutcome.Failed e -> return rethrow e // it failed while stopping: errors are never lost
                | _ ->
                    ambient.ThrowIfCancellationRequested()
                    return invalidOp "unreachable: stopped without a cancellation"
        }
