namespace TractorNet.Runtime

open System
open System.Reflection
open System.Threading.Tasks
open Microsoft.FSharp.Quotations
open Microsoft.FSharp.Quotations.Patterns
open Microsoft.FSharp.Linq.RuntimeHelpers

/// The wire form of "which function to run": a static method named by assembly, declaring type,
/// name, generic arguments and parameter types. Never a closure, never a type chosen by the peer
/// outside the enabled set.
type internal FunctionRef =
    { /// Simple name of the assembly that declares the method.
      Assembly: string
      /// Full name of the declaring type (an F# module is a type).
      DeclaringType: string
      /// The method's name.
      Method: string
      /// Assembly-qualified names of the generic method arguments, if any.
      GenericArguments: string list
      /// Full names of the (generic definition's) parameter types, to pick among overloads.
      ParameterTypes: string list }

    /// "Module.function" for messages.
    member r.Display = $"{r.DeclaringType}.{r.Method}"

/// A call prepared in the caller: the function, its MethodInfo and the argument values.
type internal PreparedCall =
    { Function: FunctionRef
      Method: MethodInfo
      /// One value per method parameter (null for unit parameters).
      Arguments: obj[]
      /// Where each argument came from, for error messages ("captured value 'conn'").
      ArgumentNames: string[] }

    /// The same call with these argument values (of a call prepared once, `FunctionRefs.ofFunction`).
    member c.With([<ParamArray>] arguments: obj[]) = { c with Arguments = arguments }

/// Turns F# quotations and .NET delegates into `FunctionRef`s, and resolves them again under the
/// enabled-modules allowlist.
module internal FunctionRefs =
    let private typeFullName (t: Type) =
        if isNull t.FullName then t.Name else t.FullName

    let private definition (m: MethodInfo) =
        if m.IsGenericMethod then m.GetGenericMethodDefinition() else m

    /// Methods already described: a call of one reuses its description (the description reads
    /// reflection data and builds lists, on every `portal.Run` otherwise).
    let private described = Collections.Concurrent.ConcurrentDictionary<MethodInfo, FunctionRef>()

    /// An assembly's simple name, read from its display name: `Assembly.GetName()` builds a
    /// CultureInfo, whose first use loads the ICU libraries (~3 MB resident in every child).
    let internal simpleName (a: Assembly) =
        let full = a.FullName
        let comma = full.IndexOf ','
        if comma < 0 || full.Contains '\\' then a.GetName().Name else full.Substring(0, comma)

    /// The wire form of a static method, described afresh.
    let private describe (m: MethodInfo) : FunctionRef =
        if not m.IsStatic then
            invalidArg "f" $"'{m.DeclaringType.Name}.{m.Name}' is an instance method: only static functions (module functions, static methods) can run in another actor"

        { Assembly = simpleName m.DeclaringType.Assembly
          DeclaringType = typeFullName m.DeclaringType
          Method = m.Name
          GenericArguments =
            if m.IsGenericMethod then
                m.GetGenericArguments() |> Seq.map _.AssemblyQualifiedName |> List.ofSeq
            else
                []
          ParameterTypes = (definition m).GetParameters() |> Seq.map (fun p -> typeFullName p.ParameterType) |> List.ofSeq }

    /// The wire form of a static method.
    let ofMethod (m: MethodInfo) : FunctionRef =
        match described.TryGetValue m with
        | true, known -> known
        | _ ->
            let r = describe m
            described.TryAdd(m, r) |> ignore
            r

    let private unsupported (what: string) =
        invalidArg
            "f"
            ($"runInActor/Run needs a named function, e.g. `runInActor burnCpu`, `runInActor (work 42 \"x\")` "
             + $"or `runInActor (fun () -> work x y)`; got {what}. Inline lambdas with a body of their own carry no identity "
             + "another process could resolve: move the body into a module function.")

    /// Evaluates an argument expression in the caller, after substituting the let-bound values.
    let private evaluate (env: Map<Var, obj * string>) (e: Expr) : obj * string =
        match e with
        | ValueWithName(v, _, name) -> v, $"captured value '{name}'"
        | Value(v, _) -> v, "constant"
        | Var v when env.ContainsKey v -> env[v]
        | _ ->
            let closed = e.Substitute(fun v -> env.TryFind v |> Option.map (fun (value, _) -> Expr.Value(value, v.Type)))

            if closed.GetFreeVars() |> Seq.isEmpty |> not then
                unsupported $"an argument that depends on the lambda's own variables ({e})"

            LeafExpressionConverter.EvaluateQuotation closed, $"argument expression `{e}`"

    /// Prepares a call from an auto-quoted function (`[<ReflectedDefinition(true)>] Expr<...>`).
    let ofQuotation (quoted: Expr) : PreparedCall =
        let rec peel (env: Map<Var, obj * string>) (e: Expr) =
            match e with
            | WithValue(_, _, inner) -> peel env inner
            | Let(v, value, body) ->
                let evaluated, description = evaluate env value
                let description = if description = "constant" then $"value '{v.Name}'" else description
                peel (env.Add(v, (evaluated, description))) body
            | Lambda(unitVar, Call(None, m, args)) ->
                let values, names =
                    args
                    |> List.mapi (fun i a ->
                        match a with
                        | Var v when v = unitVar -> null, "()"
                        | _ ->
                            let v, n = evaluate env a
                            v, $"{n} (parameter {i + 1})")
                    |> List.unzip

                { Function = ofMethod m
                  Method = m
                  Arguments = Array.ofList values
                  ArgumentNames = Array.ofList names }
            | Call(None, m, args) when m.GetParameters().Length = args.Length ->
                // A value-producing call (`Expr<Task<'T>>`): same as a lambda over unit.
                peel env (Expr.Lambda(Var("unused", typeof<unit>), e))
            | Lambda(_, Call(Some _, m, _)) -> unsupported $"a call of instance method '{m.Name}'"
            | Lambda(_, body) -> unsupported $"a lambda whose body is `{body}`"
            | _ -> unsupported $"`{e}`"

        peel Map.empty quoted

    /// Prepares a call of a function passed by value (`<@ inc @>`, `<@ add @>`, `<@ fun a b -> add a b @>`),
    /// with no arguments yet (each call fills its own in): `arity` lambdas that only pass their
    /// parameters on (or one over a tuple whose items the method takes). Anything else would have
    /// no identity another process could resolve, or would silently fix some arguments.
    let ofFunction (quoted: Expr) (arity: int) : PreparedCall =
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
            | [ t ], body when arity = 1 && Microsoft.FSharp.Reflection.FSharpType.IsTuple t.Type ->
                match items t body [] with
                | [], _ -> [ t ], body
                | vars, body -> vars, body
            | found -> found

        match parameters with
        | [ v ], Call(None, m, []) when v.Type = typeof<unit> && arity = 1 ->
            { Function = ofMethod m; Method = m; Arguments = [||]; ArgumentNames = [||] }
        | vars, Call(None, m, args) when
            args.Length = vars.Length
            && List.forall2 (fun (a: Expr) (v: Var) -> match a with Var x -> x = v | _ -> false) args vars
            ->
            { Function = ofMethod m
              Method = m
              Arguments = [||]
              ArgumentNames = Array.init args.Length (fun i -> $"argument {i + 1}") }
        | _, Call(Some _, m, _) -> refuse $"a call of instance method '{m.Name}'"
        | _ -> refuse $"`{quoted}`"

    let private fewArgumentNames = Array.init 8 (fun n -> Array.init n (fun i -> $"argument {i + 1}"))

    /// "argument 1" .. "argument n", for error messages (shared: built once for short lists).
    let private argumentNames (n: int) =
        if n < fewArgumentNames.Length then fewArgumentNames[n] else Array.init n (fun i -> $"argument {i + 1}")

    /// Prepares a call of a delegate that targets a static method (C# method groups), with
    /// explicit argument values.
    let ofDelegate (d: Delegate) (arguments: obj[]) : PreparedCall =
        let m = d.Method

        if not m.IsStatic then
            invalidArg
                "f"
                $"'{m.DeclaringType.Name}.{m.Name}' is not a static method: pass a static method group (e.g. `Work.BurnCpu`), not a lambda or instance method, so the other process can resolve it"

        { Function = ofMethod m
          Method = m
          Arguments = arguments
          ArgumentNames = argumentNames arguments.Length }

    /// Whether a declaring type lies inside one of the enabled modules. An entry names an
    /// assembly (every type in it), a namespace or a type (an F# module) with its nested types.
    // Resolution runs at every actor's first call: plain loops here, no FSharp.Core collection
    // functions (each generic one is JIT-compiled in a fresh process, on the first call's path).
    let isEnabled (enabled: string seq) (assembly: string) (declaringType: string) =
        let inside (m: string) =
            m = assembly
            || declaringType = m
            || (declaringType.Length > m.Length
                && declaringType.StartsWith(m, StringComparison.Ordinal)
                && (declaringType[m.Length] = '+' || declaringType[m.Length] = '.'))

        let mutable found = false
        use e = enabled.GetEnumerator()

        while not found && e.MoveNext() do
            found <- inside e.Current

        found

    let private isSystemAssembly (name: string) =
        name = "System.Private.CoreLib" || name = "FSharp.Core" || name = "System.Runtime"

    /// Whether the method's (generic definition's) parameter types are exactly `expected`.
    let private hasParameterTypes (m: MethodInfo) (expected: string list) =
        let parameters = m.GetParameters()
        let mutable rest = expected
        let mutable same = true
        let mutable i = 0

        while same && i < parameters.Length do
            match rest with
            | name :: tail when name = typeFullName parameters[i].ParameterType ->
                rest <- tail
                i <- i + 1
            | _ -> same <- false

        same && rest.IsEmpty

    /// The static methods of `t` named `r.Method` whose signature matches the reference.
    let private candidates (t: Type) (r: FunctionRef) =
        let flags = BindingFlags.Static ||| BindingFlags.Public ||| BindingFlags.NonPublic
        let matching = Collections.Generic.List<MethodInfo>(1)

        // Only the members of that name (GetMethods would materialise them all).
        for m in t.GetMember(r.Method, MemberTypes.Method, flags) do
            match m with
            | :? MethodInfo as m when
                m.Name = r.Method
                && (if m.IsGenericMethodDefinition then m.GetGenericArguments().Length = r.GenericArguments.Length else r.GenericArguments.IsEmpty)
                && hasParameterTypes m r.ParameterTypes
                ->
                matching.Add m
            | _ -> ()

        matching

    let private resolveAfresh (enabled: string seq) (r: FunctionRef) : Result<MethodInfo, string> =
        // The simple name as is (not parsed as a display name: no version or culture from a peer).
        match (try Ok(Assembly.Load(AssemblyName(Name = r.Assembly))) with e -> Error e.Message) with
        | Error why -> Error $"assembly '{r.Assembly}' of function '{r.Display}' cannot be loaded: {why}"
        | Ok asm ->
            match asm.GetType(r.DeclaringType, false) with
            | null -> Error $"type '{r.DeclaringType}' not found in '{r.Assembly}'"
            | t ->
                let found = candidates t r

                if found.Count = 0 then
                    Error $"function '{r.Display}' with parameters ({String.Join(',', r.ParameterTypes)}) not found"
                elif found.Count > 1 then
                    Error $"function '{r.Display}' is ambiguous"
                elif not found[0].IsGenericMethodDefinition then
                    Ok found[0]
                else
                    let resolveType (name: string) =
                        Type.GetType(
                            name,
                            (fun an ->
                                if isSystemAssembly an.Name || isEnabled enabled an.Name "" || an.Name = r.Assembly then
                                    Assembly.Load an
                                else
                                    null),
                            null,
                            false
                        )

                    let args = r.GenericArguments |> List.map (fun n -> n, resolveType n)

                    match args |> List.tryFind (fun (_, t) -> isNull t) with
                    | Some(n, _) -> Error $"generic argument '{n}' of '{r.Display}' is not loadable or not allowed"
                    | None -> Ok(found[0].MakeGenericMethod(args |> List.map snd |> Array.ofList))

    /// References already resolved (successfully): a daemon's calls mostly name the same few
    /// functions, and resolving loads the assembly by name and searches its type each time.
    /// Whether the function is enabled is still checked on every call.
    let private resolved = Collections.Concurrent.ConcurrentDictionary<FunctionRef, MethodInfo>()

    /// Resolves a FunctionRef a peer sent, refusing anything outside the enabled modules.
    let resolve (enabled: string seq) (r: FunctionRef) : Result<MethodInfo, string> =
        if not (isEnabled enabled r.Assembly r.DeclaringType) then
            Error
                $"function '{r.Display}' is not enabled in this actor (enabled modules: {String.Join(',', enabled)}); enable its module when starting the actor"
        else
            match resolved.TryGetValue r with
            | true, m -> Ok m
            | _ ->
                match resolveAfresh enabled r with
                | Ok m as found ->
                    // Not a generic one: its type arguments were checked against this allowlist.
                    if not m.IsGenericMethod then
                        resolved.TryAdd(r, m) |> ignore

                    found
                | failed -> failed
