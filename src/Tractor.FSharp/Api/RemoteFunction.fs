namespace TractorNet

open System
open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open TractorNet.Runtime

/// <summary>
/// A module function prepared once for calls in other actors: <c>let inc = Remote.Function inc</c>, then
/// <c>portal.Run(inc, 41)</c> as often as needed. <c>portal.Run(fun () -&gt; inc 41)</c> does the same in one
/// step, but F# rebuilds its quotation on every call (tens of microseconds, about a local round trip);
/// a prepared function describes the call once, so a hot loop pays only for the message.
/// <c>'Args</c> is the function's parameter (a tuple for several), <c>'T</c> its result.
/// </summary>
[<Sealed>]
type RemoteFunction<'Args, 'T> internal (call: PreparedCall) =
    /// The call with no arguments filled in; each call copies it with its own.
    member internal _.Prepared = call

    /// A call of the function with these argument values.
    member internal _.With(arguments: obj[]) : PreparedCall = { call with Arguments = arguments }

    /// <summary>The function's name, <c>Module.function</c>.</summary>
    member _.Name = call.Function.Display

    override _.ToString() = $"RemoteFunction({call.Function.Display})"

/// <summary>Prepares module functions for calls in other actors (see <see cref="T:TractorNet.RemoteFunction`2"/>).</summary>
[<AbstractClass; Sealed>]
type Remote =
    static member private Describe(quoted: Expr, arity: int) : PreparedCall = FunctionRefs.ofFunction quoted arity

    /// <summary>Prepares a function of one parameter (or of <c>unit</c>) returning a <c>Task</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> Task<'T>>) : RemoteFunction<'A, 'T> =
        RemoteFunction(Remote.Describe(f, 1))

    /// <summary>Prepares a function of two parameters returning a <c>Task</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> 'B -> Task<'T>>) : RemoteFunction<'A * 'B, 'T> =
        RemoteFunction(Remote.Describe(f, 2))

    /// <summary>Prepares a function of three parameters returning a <c>Task</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> 'B -> 'C -> Task<'T>>) : RemoteFunction<'A * 'B * 'C, 'T> =
        RemoteFunction(Remote.Describe(f, 3))

    /// <summary>Prepares a function of one parameter (or of <c>unit</c>) returning an <c>Async</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> Async<'T>>) : RemoteFunction<'A, 'T> =
        RemoteFunction(Remote.Describe(f, 1))

    /// <summary>Prepares a function of two parameters returning an <c>Async</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> 'B -> Async<'T>>) : RemoteFunction<'A * 'B, 'T> =
        RemoteFunction(Remote.Describe(f, 2))

    /// <summary>Prepares a function of three parameters returning an <c>Async</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> 'B -> 'C -> Async<'T>>) : RemoteFunction<'A * 'B * 'C, 'T> =
        RemoteFunction(Remote.Describe(f, 3))

    /// <summary>Prepares a function of one parameter (or of <c>unit</c>) returning a <c>ValueTask</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> ValueTask<'T>>) : RemoteFunction<'A, 'T> =
        RemoteFunction(Remote.Describe(f, 1))

    /// <summary>Prepares a function of two parameters returning a <c>ValueTask</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> 'B -> ValueTask<'T>>) : RemoteFunction<'A * 'B, 'T> =
        RemoteFunction(Remote.Describe(f, 2))

    /// <summary>Prepares a function of three parameters returning a <c>ValueTask</c>.</summary>
    static member Function([<ReflectedDefinition>] f: Expr<'A -> 'B -> 'C -> ValueTask<'T>>) : RemoteFunction<'A * 'B * 'C, 'T> =
        RemoteFunction(Remote.Describe(f, 3))
