namespace TractorNet

open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open TractorNet.Runtime

/// <summary>
/// The nursery operations, callable unqualified after <c>open TractorNet</c>:
/// <c>let! p = runInActor burnCpu</c>, <c>let! d = startActor "frank"</c>. Functions are passed by name
/// (auto-quoted), so the child process can find the same function in the same assembly.
/// </summary>
[<AutoOpen; AbstractClass; Sealed>]
type ActorOps =
    /// <summary>
    /// Runs <paramref name="f"/> in a new actor process named after the function; <c>p.Result()</c> is its value.
    /// Accepts a module function (<c>runInActor burnCpu</c>), a partial application
    /// (<c>runInActor (work 42 "x")</c>) or a lambda calling one (<c>runInActor (fun () -&gt; work x y)</c>);
    /// arguments and captured values are serialised (a value that cannot be fails here).
    /// </summary>
    static member runInActor([<ReflectedDefinition(true)>] f: Expr<unit -> Task<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, null, Log.current ())

    /// <summary>Runs an <c>Async</c> function in a new actor process; <c>p.Result()</c> is its value.</summary>
    static member runInActor([<ReflectedDefinition(true)>] f: Expr<unit -> Async<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, null, Log.current ())

    /// <summary>Runs a <c>ValueTask</c> function in a new actor process; <c>p.Result()</c> is its value.</summary>
    static member runInActor([<ReflectedDefinition(true)>] f: Expr<unit -> ValueTask<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, null, Log.current ())

    /// <summary>Runs <paramref name="f"/> in a new actor process with the given name.</summary>
    static member runInActor(name: string, [<ReflectedDefinition(true)>] f: Expr<unit -> Task<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, name, Log.current ())

    /// <summary>Runs an <c>Async</c> function in a new actor process with the given name.</summary>
    static member runInActor(name: string, [<ReflectedDefinition(true)>] f: Expr<unit -> Async<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, name, Log.current ())

    /// <summary>Runs a <c>ValueTask</c> function in a new actor process with the given name.</summary>
    static member runInActor(name: string, [<ReflectedDefinition(true)>] f: Expr<unit -> ValueTask<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, name, Log.current ())

    /// <summary>
    /// Starts a daemon actor that serves calls of functions in <paramref name="enableModules"/> (module or type
    /// full names, namespaces, or assembly names) until cancelled.
    /// </summary>
    static member startActor(name: string, enableModules: string list) : NurseryOp<Portal> =
        fun n -> n.StartActorAsync(name, enableModules, Log.current ())

    /// <summary>Starts a daemon actor with its own log level.</summary>
    static member startActor(name: string, enableModules: string list, logLevel: LogLevel) : NurseryOp<Portal> =
        fun n -> n.StartActorAsync(name, enableModules, logLevel)

    /// <summary>
    /// Runs a nursery operation with another spawn method for the actors it starts (a per-actor choice):
    /// <c>let! p = spawnWith (SpawnMethod.WarmPool, runInActor burnCpu)</c>. The nursery's own method is unchanged.
    /// </summary>
    static member spawnWith(spawnMethod: SpawnMethod, op: NurseryOp<'T>) : NurseryOp<'T> =
        fun n -> op (n.WithSpawnMethod spawnMethod)

    /// <summary>The open nursery itself, for advanced use (<c>let! n = currentNursery</c>).</summary>
    static member currentNursery: NurseryOp<ActorNursery> = fun n -> Task.FromResult n
