/// Helpers of the supervision tests: a recorder of a supervisor's events that a test can wait on,
/// and attempt counters in temporary files.
module TractorNet.Tests.SupervisionSupport

open System
open System.IO
open System.Threading.Tasks
open TractorNet

/// An event as the tests compare them: what happened, to which child (by position), why.
type Seen = { Kind: SupervisorEventKind; Position: int; Reason: ExitReason }

let seen (e: SupervisorEvent) = { Kind = e.Kind; Position = e.Position; Reason = e.Reason }

let started p = { Kind = SupervisorEventKind.Started; Position = p; Reason = ExitReason.None }
let restarted p = { Kind = SupervisorEventKind.Restarted; Position = p; Reason = ExitReason.None }
let exited p reason = { Kind = SupervisorEventKind.Exited; Position = p; Reason = reason }
let escalated = { Kind = SupervisorEventKind.Escalated; Position = -1; Reason = ExitReason.None }

/// Records a supervisor's events; `WaitFor n` completes once n events have arrived (bounded
/// generously: a timeout says which events came).
type EventRecorder() =
    let all = ResizeArray<SupervisorEvent>()
    let mutable waiters: (int * TaskCompletionSource) list = []
    let mutable completed = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

    member _.Events = lock all (fun () -> List.ofSeq all)
    member this.Seen = this.Events |> List.map seen
    member _.Completed: Task = completed.Task

    member this.WaitFor(count: int) : Task =
        task {
            let tcs = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

            lock all (fun () -> if all.Count >= count then tcs.TrySetResult() |> ignore else waiters <- (count, tcs) :: waiters)

            let! first = Task.WhenAny(tcs.Task, Task.Delay(TimeSpan.FromSeconds 60.0))

            if not (obj.ReferenceEquals(first, tcs.Task)) then
                failwith $"expected {count} supervisor events within 60 s, got: %A{this.Seen}"
        }

    interface IObserver<SupervisorEvent> with
        member _.OnNext e =
            lock all (fun () ->
                all.Add e
                let ready, waiting = waiters |> List.partition (fun (n, _) -> all.Count >= n)
                waiters <- waiting
                for _, t in ready do t.TrySetResult() |> ignore)

        member _.OnError _ = ()
        member _.OnCompleted() = completed.TrySetResult() |> ignore

/// Subscribes a recorder to the supervisor of the current `supervisor { }` body.
let record: NurseryOp<EventRecorder> =
    fun n ->
        task {
            let! s = currentSupervisor n
            let r = EventRecorder()
            s.Events.Subscribe r |> ignore
            return r
        }

/// A fresh attempt counter (a file path that does not exist yet).
let newCounter () =
    Path.Combine(Path.GetTempPath(), $"tractor-supervision-{Guid.NewGuid():N}.count")

/// Runs `f` with a fresh counter, deleting its file afterwards.
let withCounter (f: string -> Task<'T>) : Task<'T> =
    task {
        let path = newCounter ()

        try
            return! f path
        finally
            if File.Exists path then File.Delete path
    }

/// The attempts a counter recorded.
let attempts (counter: string) = if File.Exists counter then int (File.ReadAllText counter) else 0

let isAlive (pid: int) =
    try
        not (Diagnostics.Process.GetProcessById(pid).HasExited)
    with _ ->
        false
