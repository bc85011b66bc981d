namespace TractorNet

open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open TractorNet.Runtime

/// <summary>
/// The <c>supervisor { }</c> computation expression: a <c>nursery { }</c> whose children started with
/// <c>superviseActor</c> / <c>superviseRun</c> are restarted by the policy given (default:
/// <see cref="T:TractorNet.SupervisorOptions"/>'s). Everything else of <c>nursery { }</c> applies: the body can start
/// unsupervised actors too, it returns once every child has ended and been reaped, an error cancels everything.
/// An escalation (the restart intensity exceeded) is the supervisor's error, raised like any other.
/// </summary>
type SupervisorBuilder(options: SupervisorOptions) =
    inherit NurseryBuilder()

    /// <summary>Opens the supervisor, runs the body in it, and waits for every child.</summary>
    member _.Run(op: NurseryOp<'T>) : Task<'T> = ActorSupervisor.Open(options, op)

/// <summary>
/// The supervised operations of a <c>supervisor { }</c> body, callable unqualified after <c>open TractorNet</c>:
/// <c>let! p = superviseActor ("worker", [ "My.Module" ])</c>, <c>let! p = superviseRun flakyJob</c>.
/// </summary>
[<AutoOpen; AbstractClass; Sealed>]
type SupervisorOps =
    /// <summary>
    /// Starts a permanent supervised daemon actor (after the children started before it) and returns its portal,
    /// which follows the actor across restarts (see <see cref="M:TractorNet.ActorSupervisor.SuperviseActorAsync(System.String,System.Collections.Generic.IEnumerable{System.String},TractorNet.RestartType,TractorNet.LogLevel)"/>).
    /// </summary>
    static member superviseActor(name: string, enableModules: string list) : NurseryOp<Portal> =
        fun n -> (ActorSupervisor.Of n).SuperviseActorAsync(name, enableModules, RestartType.Permanent, Log.current ())

    /// <summary>Starts a supervised daemon actor with the given restart type.</summary>
    static member superviseActor(name: string, enableModules: string list, restart: RestartType) : NurseryOp<Portal> =
        fun n -> (ActorSupervisor.Of n).SuperviseActorAsync(name, enableModules, restart, Log.current ())

    /// <summary>
    /// Starts a permanent supervised daemon actor discoverable by its name: after a restart, <c>findActor name</c>
    /// reaches the new process (see <see cref="M:TractorNet.ActorSupervisor.SuperviseDiscoverableActorAsync(System.String,System.Collections.Generic.IEnumerable{System.String},TractorNet.RestartType,TractorNet.LogLevel)"/>).
    /// </summary>
    static member superviseDiscoverableActor(name: string, enableModules: string list) : NurseryOp<Portal> =
        fun n -> (ActorSupervisor.Of n).SuperviseDiscoverableActorAsync(name, enableModules, RestartType.Permanent, Log.current ())

    /// <summary>Starts a supervised daemon actor discoverable by its name, with the given restart type.</summary>
    static member superviseDiscoverableActor(name: string, enableModules: string list, restart: RestartType) : NurseryOp<Portal> =
        fun n -> (ActorSupervisor.Of n).SuperviseDiscoverableActorAsync(name, enableModules, restart, Log.current ())

    /// <summary>
    /// Runs <paramref name="f"/> in a supervised actor named after the function, transient: after an error it is
    /// run again in a new process (by the supervisor's policy) until it returns. <c>p.Result()</c> is the value of
    /// the run that returned, or the last error if the child was not restarted.
    /// </summary>
    static member superviseRun([<ReflectedDefinition(true)>] f: Expr<unit -> Task<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> (ActorSupervisor.Of n).SuperviseRunAsync<'T>(call, null, RestartType.Transient, Log.current ())

    /// <summary>Runs <paramref name="f"/> in a supervised actor with the given name and restart type
    /// (a permanent function is run again even after it returns).</summary>
    static member superviseRun(name: string, restart: RestartType, [<ReflectedDefinition(true)>] f: Expr<unit -> Task<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> (ActorSupervisor.Of n).SuperviseRunAsync<'T>(call, name, restart, Log.current ())

    /// <summary>The supervisor of the <c>supervisor { }</c> body (its events, its options).</summary>
    static member currentSupervisor: NurseryOp<ActorSupervisor> = fun n -> Task.FromResult(ActorSupervisor.Of n)

/// <summary>The <c>supervisor { }</c> builders.</summary>
[<AutoOpen>]
module SupervisorBuilderInstance =
    /// <summary>Opens a supervisor with the default policy (one-for-one, at most 3 restarts in 5 seconds):
    /// <c>supervisor { let! w = superviseRun flaky in return! w.Result() }</c>.</summary>
    let supervisor = SupervisorBuilder(SupervisorOptions())

    /// <summary>Opens a supervisor with the given policy:
    /// <c>supervisorWith (SupervisorOptions(Strategy = SupervisionStrategy.OneForAll)) { ... }</c>.</summary>
    let supervisorWith (options: SupervisorOptions) = SupervisorBuilder options
