namespace TractorNet.Devx

open System
open System.Diagnostics
open System.IO
open System.Reflection
open System.Text

/// Stacks as a user reads them: the user's own frames with file:line (from portable PDBs), the
/// machinery of async state machines, FSharp.Core, the BCL and this library left out, and
/// compiler-generated names (`<Main>d__0.MoveNext`, `work@12.MoveNext`) turned back into the
/// method the user wrote.
module internal StackText =
    let private hiddenAssemblies =
        [ typeof<obj>.Assembly; typeof<list<int>>.Assembly; typeof<TerminalLock>.Assembly ]

    let private hidden (m: MethodBase) =
        isNull m
        || isNull m.DeclaringType
        || hiddenAssemblies |> List.exists (fun a -> obj.ReferenceEquals(a, m.DeclaringType.Assembly))
        || m.DeclaringType.Assembly.GetName().Name = "Tractor.CSharp"

    /// `<Main>d__0` → Main; `work@12-3` → work; anything else as is.
    let private userName (name: string) =
        if name.StartsWith "<" && name.IndexOf '>' > 1 then name.Substring(1, name.IndexOf '>' - 1)
        elif name.IndexOf '@' > 0 then name.Substring(0, name.IndexOf '@')
        else name

    /// `Module.function` for a frame's method, seen through state machines and closures.
    let methodName (m: MethodBase) =
        let t = m.DeclaringType

        if isNull t then
            m.Name
        elif (t.Name.StartsWith "<" || t.Name.Contains "@") && not (isNull t.DeclaringType) then
            // A state machine or closure: its declaring type is where the user wrote it.
            let owner = t.DeclaringType.FullName.Replace('+', '.')
            let inner = userName t.Name
            let inner = if m.Name = "MoveNext" || m.Name = "Invoke" then inner else $"{inner}.{m.Name}"
            $"{owner}.{inner}"
        else
            $"{t.FullName.Replace('+', '.')}.{userName m.Name}"

    let private location (f: StackFrame) =
        match f.GetFileName() with
        | null
        | "" -> ""
        | file -> $" in {file}:{f.GetFileLineNumber()}"

    /// One line per frame, innermost first.
    let ofFrames (frames: StackFrame seq) : string =
        let shown =
            frames
            |> Seq.filter (fun f -> not (isNull (f.GetMethod()) || hidden (f.GetMethod())))
            |> List.ofSeq

        let b = StringBuilder()

        if shown.IsEmpty then
            b.Append("  (no frames of your code: raised by the runtime or the BCL)\n") |> ignore

        for f in shown do
            b.Append("  at ").Append(methodName (f.GetMethod())).Append(location f).Append('\n') |> ignore

        b.ToString()

    /// The stack of the calling code, without the `skip` innermost frames.
    let here (skip: int) = ofFrames (StackTrace(skip + 1, true).GetFrames())

    /// Where an exception was raised and how it got here.
    let ofException (e: exn) =
        let frames = StackTrace(e, true).GetFrames()
        if isNull frames || frames.Length = 0 then "  (no stack trace)\n" else ofFrames frames

    /// A remote stack trace (text) as a user reads it: the machinery's frames and the
    /// "end of stack trace" separators of async methods left out (all of it when nothing remains).
    let cleanRemote (text: string) =
        let lines = (if isNull text then "" else text).Split('\n') |> Array.map _.TrimEnd()

        let machinery (l: string) =
            let t = l.TrimStart()
            t.StartsWith "---"
            || [ "at System."; "at Microsoft.FSharp."; "at InvokeStub_"; "at TractorNet.Runtime."; "at TractorNet.Devx."; "at TractorNet.Debugger." ]
               |> List.exists t.StartsWith
            || t.Contains "$FSharp-Core>"
            || t.Contains "$Tractor-FSharp>"

        let kept = lines |> Array.filter (fun l -> l.Trim() <> "" && not (machinery l))
        let kept = if kept.Length = 0 then lines |> Array.filter (fun l -> l.Trim() <> "") else kept
        String.Join("\n", kept |> Array.map (fun l -> "  " + l.TrimStart())) + "\n"

    /// The exception with its inner ones, each with its stack; a remote error with the stack it
    /// carried from the actor where it was raised.
    let rec describe (e: exn) : string =
        let b = StringBuilder()
        b.Append(e.GetType().FullName).Append(": ").Append(e.Message).Append('\n') |> ignore

        match e with
        | :? TractorNet.RemoteActorError as r ->
            b.Append($"  raised in actor ('{r.Source.Name}', '{r.Source.Uid}') as {r.TypeName}\n") |> ignore
            b.Append("  remote stack trace:\n").Append(cleanRemote r.RemoteStackTrace) |> ignore

            for i in r.InnerErrors do
                b.Append("--- inner remote error ---\n").Append(describe i) |> ignore
        | _ -> b.Append(ofException e) |> ignore

        match e with
        | :? AggregateException as a ->
            for i in a.InnerExceptions do
                b.Append("--- inner exception ---\n").Append(describe i) |> ignore
        | _ when not (isNull e.InnerException) -> b.Append("--- inner exception ---\n").Append(describe e.InnerException) |> ignore
        | _ -> ()

        b.ToString()

    /// The source line `line` of `file`, when the file is there to read.
    let sourceLine (file: string) (line: int) =
        try
            if line > 0 && File.Exists file then
                File.ReadLines file |> Seq.skip (line - 1) |> Seq.tryHead |> Option.map (fun s -> s.Trim())
            else
                None
        with _ ->
            None
