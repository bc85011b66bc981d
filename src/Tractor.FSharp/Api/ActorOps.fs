namespace TractorNet

open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open TractorNet.Runtime

/// The nursery operations, callable unqualified after `open TractorNet`:
/// `let! p = runInActor burnCpu`, `let! d = startActor "frank"`. Functions are passed by name
/// (auto-quoted), so the child process can find the same function in the same assembly.
[<AutoOpen; AbstractClass; Sealed>]
type ActorOps =
    /// Runs `f` in a new actor process named after the function; `p.Result()` is its value.
    /// Accepts a module function (`runInActor burnCpu`), a partial application
    /// (`runInActor (work 42 "x")`) or a lambda calling one (`runInActor (fun () -> work x y)`);
    /// arguments and captured values are serialised (a value that cannot be fails here).
    static member runInActor([<ReflectedDefinition(true)>] f: Expr<unit -> Task<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, null, Log.current ())

    /// Runs an `Async` function in a new actor process; `p.Result()` is its value.
    static member runInActor([<ReflectedDefinition(true)>] f: Expr<unit -> Async<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, null, Log.current ())

    /// Runs a `ValueTask` function in a new actor process; `p.Result()` is its value.
    static member runInActor([<ReflectedDefinition(true)>] f: Expr<unit -> ValueTask<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, null, Log.current ())

    /// Runs `f` in a new actor process with the given name.
    static member runInActor(name: string, [<ReflectedDefinition(true)>] f: Expr<unit -> Task<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, name, Log.current ())

    /// Runs an `Async` function in a new actor process with the given name.
    static member runInActor(name: string, [<ReflectedDefinition(true)>] f: Expr<unit -> Async<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, name, Log.current ())

    /// Runs a `ValueTask` function in a new actor process with the given name.
    static member runInActor(name: string, [<ReflectedDefinition(true)>] f: Expr<unit -> ValueTask<'T>>) : NurseryOp<Portal<'T>> =
        let call = FunctionRefs.ofQuotation f
        fun n -> n.RunInActorAsync<'T>(call, name, Log.current ())

    /// Starts a daemon actor that serves calls of functions in `enableModules` (module or type
    /// full names, namespaces, or assembly names) until cancelled.
    static member startActor(name: string, enableModules: string list) : NurseryOp<Portal> =
        fun n -> n.StartActorAsync(name, enableModules, Log.current ())

    /// Starts a daemon actor with its own log level.
    static member startActor(name: string, enableModules: string list, logLevel: LogLevel) : NurseryOp<Portal> =
        fun n -> n.StartActorAsync(name, enableModules, logLevel)

    /// The open nursery itself, for advanced use (`let! n = currentNursery`).
    static member currentNursery: NurseryOp<ActorNursery> = fun n -> Task.FromResult n
