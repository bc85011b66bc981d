namespace TractorNet

/// <summary>
/// Which children a supervisor restarts when one of them exits and is to be restarted (Erlang/OTP's
/// supervisor strategies).
/// </summary>
type SupervisionStrategy =
    /// <summary>Only the child that exited is restarted.</summary>
    | OneForOne = 0
    /// <summary>Every running child is stopped (in reverse start order) and all are restarted (in start order).</summary>
    | OneForAll = 1
    /// <summary>The children started after the one that exited are stopped (in reverse order), then it and they
    /// are restarted (in start order).</summary>
    | RestForOne = 2

/// <summary>When a supervised child is restarted (Erlang/OTP's restart types).</summary>
type RestartType =
    /// <summary>Always restarted, whatever ended it (the default for daemons).</summary>
    | Permanent = 0
    /// <summary>Restarted only after an abnormal exit: an error, or a process that died with a non-zero status
    /// (the default for functions run in an actor).</summary>
    | Transient = 1
    /// <summary>Never restarted.</summary>
    | Temporary = 2

namespace TractorNet.Supervision

open TractorNet

/// The strategies and restart types as functions the supervisor applies (one table, as for spawn methods).
module internal Strategies =
    /// Whether a child of restart type `restart` is restarted after an exit (`abnormal`: an error).
    let restarts (restart: RestartType) (abnormal: bool) =
        match restart with
        | RestartType.Permanent -> true
        | RestartType.Transient -> abnormal
        | RestartType.Temporary -> false
        | other -> invalidArg "restart" $"unknown restart type {other}"

    /// The positions (in start order) the strategy restarts when the child at `failed` exits and is
    /// to be restarted; `running` holds the positions of the children still running. The child at
    /// `failed` comes first in its place; the others are the siblings to stop before.
    let affected (strategy: SupervisionStrategy) (failed: int) (running: int list) : int list =
        match strategy with
        | SupervisionStrategy.OneForOne -> [ failed ]
        | SupervisionStrategy.OneForAll -> failed :: running |> List.distinct |> List.sort
        | SupervisionStrategy.RestForOne -> failed :: (running |> List.filter (fun i -> i > failed)) |> List.distinct |> List.sort
        | other -> invalidArg "strategy" $"unknown supervision strategy {other}"
