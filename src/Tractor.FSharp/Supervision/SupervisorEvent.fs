namespace TractorNet

open System

/// <summary>What happened to a supervised child (see <see cref="T:TractorNet.SupervisorEvent"/>).</summary>
type SupervisorEventKind =
    /// <summary>The child started for the first time.</summary>
    | Started = 0
    /// <summary>The child's process ended; <see cref="P:TractorNet.SupervisorEvent.Reason"/> says how.</summary>
    | Exited = 1
    /// <summary>A new process replaced the child.</summary>
    | Restarted = 2
    /// <summary>The restart intensity was exceeded: the supervisor stopped its children and raised the last error
    /// to the enclosing nursery.</summary>
    | Escalated = 3

/// <summary>Why a supervised child exited.</summary>
type ExitReason =
    /// <summary>Not an exit (the event is not <c>Exited</c>).</summary>
    | None = 0
    /// <summary>It ended normally: its function returned, or its process exited with status 0 by itself.</summary>
    | Normal = 1
    /// <summary>It failed: its function raised, or its process died (a non-zero status or a signal).</summary>
    | Failed = 2
    /// <summary>It was asked to stop through its portal (<c>CancelActor</c>): never restarted.</summary>
    | Stopped = 3
    /// <summary>Its supervisor stopped it: to restart it with a sibling, or because the supervisor ended.</summary>
    | Shutdown = 4

/// <summary>
/// One event of a supervisor: a child started, exited (and why), was restarted, or the supervisor escalated.
/// Written to the log and published on the supervisor's event stream.
/// </summary>
[<Sealed>]
type SupervisorEvent
    internal (kind: SupervisorEventKind, child: string, position: int, actor: ActorId, pid: int, reason: ExitReason, error: exn, restarts: int) =
    let time = DateTimeOffset.UtcNow

    /// <summary>What happened.</summary>
    member _.Kind = kind
    /// <summary>The child's name (the one it was supervised with; every incarnation has it).</summary>
    member _.Child = child
    /// <summary>The child's position in start order, from 0 (-1 for <c>Escalated</c>).</summary>
    member _.Position = position
    /// <summary>The identity of the incarnation concerned (the new one for <c>Restarted</c>); null for <c>Escalated</c>.</summary>
    member _.Actor: ActorId = actor
    /// <summary>Its OS process id (0 for <c>Escalated</c>).</summary>
    member _.Pid = pid
    /// <summary>Why it exited (<c>None</c> unless the event is <c>Exited</c>).</summary>
    member _.Reason = reason
    /// <summary>The error: what ended a failed child, or the error escalated; null otherwise.</summary>
    member _.Error: exn = error
    /// <summary>How many times this child has been restarted so far (for <c>Escalated</c>: the supervisor's
    /// restarts within the intensity window).</summary>
    member _.Restarts = restarts
    /// <summary>When it happened (UTC).</summary>
    member _.Time = time

    override _.ToString() =
        let error = if isNull error then "" else $": {error.GetType().Name}: {error.Message}"

        match kind with
        | SupervisorEventKind.Exited -> $"child '{child}' ({actor}, pid {pid}) exited ({reason}){error}"
        | SupervisorEventKind.Restarted -> $"child '{child}' restarted as {actor}, pid {pid} (restart {restarts})"
        | SupervisorEventKind.Escalated -> $"supervisor escalated after {restarts} restarts{error}"
        | _ -> $"child '{child}' started as {actor}, pid {pid}"

namespace TractorNet.Supervision

open System
open TractorNet

/// A supervisor's event stream: every event goes to the log and to each subscriber, in order, on
/// the supervisor's loop (a subscriber's exception is logged, not raised).
type internal EventStream() =
    // Guarded by `observers` itself; published over a snapshot.
    let observers = Collections.Generic.List<IObserver<SupervisorEvent>>()
    let mutable completed = false

    let snapshot () = lock observers (fun () -> observers.ToArray())

    member _.Publish(e: SupervisorEvent) =
        let level =
            match e.Kind with
            | SupervisorEventKind.Escalated -> LogLevel.Error
            | SupervisorEventKind.Exited when e.Reason = ExitReason.Failed -> LogLevel.Warning
            | _ -> LogLevel.Info

        Log.write level $"supervisor: {e}"

        for o in snapshot () do
            try
                o.OnNext e
            with ex ->
                LayerLog.Warn $"a supervisor event subscriber raised {ex.GetType().Name}: {ex.Message}"

    /// The supervisor has ended: subscribers are told, and later ones complete at once.
    member _.Complete() =
        let all = lock observers (fun () -> completed <- true; let a = observers.ToArray() in observers.Clear(); a)

        for o in all do
            try
                o.OnCompleted()
            with ex ->
                LayerLog.Warn $"a supervisor event subscriber raised {ex.GetType().Name}: {ex.Message}"

    interface IObservable<SupervisorEvent> with
        member _.Subscribe(o: IObserver<SupervisorEvent>) =
            ArgumentNullException.ThrowIfNull o

            let added = lock observers (fun () -> if completed then false else (observers.Add o; true))

            if not added then
                o.OnCompleted()

            { new IDisposable with
                member _.Dispose() = lock observers (fun () -> observers.Remove o |> ignore) }
