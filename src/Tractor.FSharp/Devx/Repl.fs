namespace TractorNet.Devx

open System
open System.Text
open System.Threading.Tasks
open TractorNet

/// Why a REPL opened.
type internal ReplKind =
    /// `Debug.pause` (tractor's `pause()`).
    | Paused
    /// An error escaped the actor's function (tractor's crash handler / post-mortem).
    | Crashed

/// What a REPL shows and works on.
type internal ReplContext =
    { Kind: ReplKind
      Actor: ActorId
      Pid: int
      /// The pause's source location (file, line); none for a crash.
      File: string
      Line: int
      /// The values the pause was given (`args`/`locals`, `p`).
      Values: (string * obj) list
      /// The error, for a crash (null for a pause).
      Error: exn
      /// The stack as text (the pause's, or the error's).
      Stack: string }

/// How a REPL ended.
type internal ReplOutcome =
    | Continue
    | Quit

/// The REPL's commands (pdb's names where pdb has one).
module internal Repl =
    [<Literal>]
    let Prompt = "(tractor) "

    let pauseHeader = "Opening a REPL in paused actor"
    let crashHeader = "Opening a REPL in crashed actor"

    let help =
        String.Join(
            "\n",
            [ "Commands:"
              "  bt, where, w     the stack (file:line)"
              "  ex               the exception and its inner ones (after a crash)"
              "  tree             the actor tree: names, pids, states"
              "  args, locals, a  the values the pause was given"
              "  p <expr>         a value: name, then .Member, .Method() or [index]"
              "                   (any C# expression with the Tractor.Debugger.Eval package)"
              "  c, continue      continue (a crash continues to propagate)"
              "  q, quit          quit: the pause raises DebuggerQuitError (a crash propagates)"
              "  h, help          this list"
              "" ]
        )

    let header (ctx: ReplContext) =
        let b = StringBuilder()
        let what = match ctx.Kind with Paused -> pauseHeader | Crashed -> crashHeader
        b.Append($"\n{what} ('{ctx.Actor.Name}', '{ctx.Actor.Uid}') pid {ctx.Pid}\n") |> ignore

        match ctx.Kind with
        | Paused ->
            if not (String.IsNullOrEmpty ctx.File) then
                b.Append($"> {ctx.File}:{ctx.Line}\n") |> ignore

                StackText.sourceLine ctx.File ctx.Line
                |> Option.iter (fun l -> b.Append($"-> {l}\n") |> ignore)
        | Crashed -> b.Append(StackText.describe ctx.Error) |> ignore

        b.ToString()

    let private values (ctx: ReplContext) =
        if ctx.Values.IsEmpty then
            "(the pause was given no values: Debug.pause [ \"x\", box x ])\n"
        else
            let b = StringBuilder()

            for name, v in ctx.Values do
                b.Append($"{name} = {Evaluator.show v}\n") |> ignore

            b.ToString()

    /// Reads and runs commands until `c` or `q` (end of input continues).
    let run (terminal: ITerminal) (ctx: ReplContext) (tree: unit -> Task<string>) : Task<ReplOutcome> =
        task {
            terminal.Write(header ctx)
            let mutable outcome = None

            while outcome.IsNone do
                let! line = terminal.ReadLine Prompt

                match if isNull line then None else Some(line.Trim()) with
                | None -> outcome <- Some Continue
                | Some line ->
                    let command, rest =
                        match line.IndexOf ' ' with
                        | -1 -> line, ""
                        | i -> line.Substring(0, i), line.Substring(i + 1).Trim()

                    match command with
                    | "" -> ()
                    | "c"
                    | "cont"
                    | "continue" -> outcome <- Some Continue
                    | "q"
                    | "quit"
                    | "exit" -> outcome <- Some Quit
                    | "h"
                    | "help"
                    | "?" -> terminal.Write help
                    | "bt"
                    | "where"
                    | "w" -> terminal.Write ctx.Stack
                    | "ex" ->
                        if isNull ctx.Error then terminal.Write "no exception: this is a pause\n"
                        else terminal.Write(StackText.describe ctx.Error)
                    | "tree" ->
                        let! text = tree ()
                        terminal.Write text
                    | "args"
                    | "a"
                    | "locals" -> terminal.Write(values ctx)
                    | "p"
                    | "pp"
                    | "print" when rest <> "" ->
                        match! Evaluator.evaluateAny ctx.Values rest with
                        | Ok v -> terminal.Write(Evaluator.show v + "\n")
                        | Error e -> terminal.Write("*** " + e + "\n")
                    | _ ->
                        // A bare expression prints its value, as in pdb.
                        match! Evaluator.evaluateAny ctx.Values line with
                        | Ok v -> terminal.Write(Evaluator.show v + "\n")
                        | Error _ -> terminal.Write($"*** unknown command '{command}' (h for help)\n")

            return outcome.Value
        }
