namespace TractorNet.Devx

open System
open System.Collections
open System.Collections.Generic
open System.ComponentModel
open System.Globalization
open System.Reflection
open System.Threading.Tasks

/// <summary>
/// An evaluator for the REPL's <c>p</c> beyond names, members and indexes: the optional
/// <c>Tractor.Debugger.Eval</c> package (C# scripting) implements it, and the debugger finds it in
/// any actor of an application that references that package. Not for application code.
/// </summary>
[<EditorBrowsable(EditorBrowsableState.Never)>]
type IReplEvaluator =
    /// <summary>Evaluates <paramref name="expression"/> over the pause's values (name, value).</summary>
    abstract Evaluate: values: IReadOnlyList<KeyValuePair<string, obj>> * expression: string -> Task<obj>

/// The REPL's expression evaluator over the values a pause was given: a name, then any number of
/// `.Member` (property, field, or method with `()`) and `[index]` (integer or "string")
/// accesses, e.g. `p order.Lines[0].Price`. Small on purpose: it needs no compiler and costs
/// nothing to load; anything it cannot read is reported, never raised.
module internal Evaluator =
    type private Step =
        | Member of string
        | Call of string
        | Index of obj

    let private flags = BindingFlags.Public ||| BindingFlags.Instance ||| BindingFlags.IgnoreCase

    let private parse (text: string) : Result<string * Step list, string> =
        let s = text.Trim()
        let mutable i = 0
        let ident () =
            let start = i
            // A name starts with a letter or '_'.
            while i < s.Length && (i > start || Char.IsLetter s[i] || s[i] = '_') && (Char.IsLetterOrDigit s[i] || s[i] = '_' || s[i] = '\'') do
                i <- i + 1
            s.Substring(start, i - start)

        let root = ident ()

        if root = "" then
            Error $"not an expression: '{text}' (try a name the pause was given, then .Member or [index])"
        else
            let steps = Collections.Generic.List<Step>()
            let mutable error = None

            while error.IsNone && i < s.Length do
                match s[i] with
                | '.' ->
                    i <- i + 1
                    let name = ident ()
                    if name = "" then error <- Some "a member name must follow '.'"
                    elif i + 1 < s.Length && s[i] = '(' && s[i + 1] = ')' then
                        i <- i + 2
                        steps.Add(Call name)
                    else
                        steps.Add(Member name)
                | '[' ->
                    let close = s.IndexOf(']', i)

                    if close < 0 then
                        error <- Some "missing ']'"
                    else
                        let inside = s.Substring(i + 1, close - i - 1).Trim()
                        i <- close + 1

                        match Int32.TryParse(inside, NumberStyles.Integer, CultureInfo.InvariantCulture) with
                        | true, n -> steps.Add(Index(box n))
                        | _ when inside.Length >= 2 && inside.StartsWith "\"" && inside.EndsWith "\"" ->
                            steps.Add(Index(box (inside.Substring(1, inside.Length - 2))))
                        | _ -> error <- Some $"an index is an integer or a \"string\", not '{inside}'"
                | c when Char.IsWhiteSpace c -> i <- i + 1
                | c -> error <- Some $"unexpected '{c}' at column {i + 1}"

            match error with
            | Some e -> Error e
            | None -> Ok(root, List.ofSeq steps)

    let private step (value: obj) (s: Step) : Result<obj, string> =
        if isNull value then
            Error "null has no members"
        else
            let t = value.GetType()

            match s with
            | Member name ->
                match t.GetProperty(name, flags) with
                | null ->
                    match t.GetField(name, flags) with
                    | null -> Error $"{t.Name} has no property or field '{name}'"
                    | f -> Ok(f.GetValue value)
                | p when p.GetIndexParameters().Length = 0 -> Ok(p.GetValue value)
                | _ -> Error $"'{name}' is an indexer"
            | Call name ->
                match t.GetMethod(name, flags, null, Type.EmptyTypes, null) with
                | null -> Error $"{t.Name} has no method '{name}()'"
                | m -> Ok(m.Invoke(value, [||]))
            | Index key ->
                match value, key with
                | :? Array as a, (:? int as n) when n >= 0 && n < a.Length -> Ok(a.GetValue n)
                | :? Array as a, (:? int as n) -> Error $"index {n} is outside the array (length {a.Length})"
                | :? IList as l, (:? int as n) when n >= 0 && n < l.Count -> Ok l[n]
                | :? IDictionary as d, k when d.Contains k -> Ok d[k]
                | :? IEnumerable as e, (:? int as n) when not (value :? string) && n >= 0 ->
                    e |> Seq.cast<obj> |> Seq.tryItem n |> Option.map Ok |> Option.defaultValue (Error $"no item {n}")
                | _ ->
                    let indexer =
                        t.GetProperties(flags)
                        |> Array.tryFind (fun p ->
                            let ps = p.GetIndexParameters()
                            ps.Length = 1 && ps[0].ParameterType.IsInstanceOfType key)

                    match indexer with
                    | Some p -> Ok(p.GetValue(value, [| key |]))
                    | None -> Error $"{t.Name} cannot be indexed by {key}"

    /// Evaluates `text` over `values` (name → value).
    let evaluate (values: (string * obj) list) (text: string) : Result<obj, string> =
        match parse text with
        | Error e -> Error e
        | Ok(root, steps) ->
            match values |> List.tryFind (fun (n, _) -> n = root) with
            | None ->
                let names = values |> List.map fst
                let known = if names.IsEmpty then "the pause was given no values" else "known: " + String.Join(", ", names)
                Error $"no value named '{root}' ({known})"
            | Some(_, v) ->
                try
                    let mutable result = Ok v

                    for s in steps do
                        result <- Result.bind (fun v -> step v s) result

                    result
                with e ->
                    let e = match e with :? TargetInvocationException as t when not (isNull t.InnerException) -> t.InnerException | e -> e
                    Error $"{e.GetType().Name}: {e.Message}"

    /// The C# scripting evaluator (Tractor.Debugger.Eval), when the application references it:
    /// looked up once, on the first expression the small evaluator cannot read.
    let plugin: Lazy<IReplEvaluator option> =
        lazy
            (try
                match Type.GetType("TractorNet.Debugger.Eval.CSharpReplEvaluator, Tractor.Debugger.Eval", false) with
                | null -> None
                | t -> Some(Activator.CreateInstance t :?> IReplEvaluator)
             with _ ->
                 None)

    /// The small evaluator first (no load cost); what it cannot read goes to the plug-in, if any.
    let evaluateAny (values: (string * obj) list) (text: string) : Task<Result<obj, string>> =
        match evaluate values text with
        | Ok v -> Task.FromResult(Ok v)
        | Error e ->
            match plugin.Value with
            | None -> Task.FromResult(Error e)
            | Some p ->
                task {
                    try
                        let pairs = values |> List.map (fun (n, v) -> KeyValuePair(n, v))
                        let! v = p.Evaluate(pairs, text)
                        return Ok v
                    with ex ->
                        return Error ex.Message
                }

    /// How the REPL shows a value: F#'s `%A` (records, unions, lists), strings quoted.
    let show (v: obj) =
        match v with
        | null -> "null"
        | :? string as s -> $"\"{s}\""
        | v -> sprintf "%A" v
