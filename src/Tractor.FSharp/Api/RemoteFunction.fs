namespace TractorNet

open System
open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open Microsoft.FSharp.Quotations.Patterns
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
    /// The method behind a quoted function value whose lambda only passes its parameters on
    /// (`inc`, `add`, `fun a b -> add a b`): anything else would have no identity another process
    /// could resolve, or would silently fix some arguments.
    static member private Describe(quoted: Expr, arity: int) : PreparedCall =
        let rec lambdas (e: Expr) (vars: Var list) =
            match e with
            | Lambda(v, body) when vars.Length < arity -> lambdas body (v :: vars)
            | body -> List.rev vars, body

        // A function of tupled parameters (`let add (a, b)`): one lambda over the tuple, whose
        // items are let-bound in order; its method takes them as separate parameters.
        let rec items (tuple: Var) (e: Expr) (vars: Var list) =
            match e with
            | Let(v, TupleGet(Var t, i), body) when t = tuple && i = vars.Length -> items tuple body (v :: vars)
            | body -> List.rev vars, body

        let refuse (what: string) : PreparedCall =
            invalidArg
                "f"
                $"Remote.Function needs a module function passed by name (e.g. `Remote.Function inc`); got {what}. Partial applications and lambdas with a body of their own cannot be prepared: call them with portal.Run(fun () -> ...)."

        let rec strip (e: Expr) =
            match e with
            | WithValue(_, _, inner) -> strip inner
            | e -> e

        let parameters =
            match lambdas (strip quoted) [] with
            | [ t ], body when arity = 1 && FSharp.Reflection.FSharpType.IsTuple t.Type ->
                match items t body [] with
                | [], _ -> [ t ], body
                | vars, body -> vars, body
            | found -> found

        match parameters with
        | [ v ], Call(None, m, []) when v.Type = typeof<unit> && arity = 1 ->
            { Function = FunctionRefs.ofMethod m; Method = m; Arguments = [||]; ArgumentNames = [||] }
        | vars, Call(None, m, args) when
            args.Length = vars.Length
            && List.forall2 (fun (a: Expr) (v: Var) -> match a with Var x -> x = v | _ -> false) args vars
            ->
            { Function = FunctionRefs.ofMethod m
              Method = m
              Arguments = [||]
              ArgumentNames = Array.init args.Length (fun i -> $"argument {i + 1}") }
        | _, Call(Some _, m, _) -> refuse $"a call of instance method '{m.Name}'"
        | _ -> refuse $"`{quoted}`"

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
