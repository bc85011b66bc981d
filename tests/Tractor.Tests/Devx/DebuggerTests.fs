/// The multi-process debugger (issue 18), driven as a user drives it: the examples and test
/// programs run in a real pseudo-terminal (tractor's pexpect suite), plus the terminal lock and
/// the expression evaluator on their own.
module TractorNet.Tests.DebuggerTests

open System
open System.Diagnostics
open System.IO
open System.Text.RegularExpressions
open NUnit.Framework
open TractorNet
open TractorNet.Devx
open TractorNet.Testing

[<Literal>]
let private Prompt = @"\(tractor\) "

let private examples (lang: string) =
    Path.Combine(RepoPaths.outputOf $"examples/{lang}", $"Tractor.Examples.{lang}.dll")

let private example (name: string) = PseudoTerminal.StartDotnet(examples "FSharp", [ name ])

let private paused (actor: string) = $@"Opening a REPL in paused actor \('{actor}', '(\w+)'\) pid (\d+)"
let private crashed (actor: string) = $@"Opening a REPL in crashed actor \('{actor}', '(\w+)'\) pid (\d+)"

/// The pid a header names (the last one shown).
let private pidIn (text: string) =
    let m = Regex.Matches(text, @"pid (\d+)\r?\n")
    int m[m.Count - 1].Groups[1].Value

// ---- the examples in a terminal ----

let ``a child's pause names it, shows its values and stack, and each c continues until exit 0`` () =
    use t = example "subactor-breakpoint"
    t.Expect(paused "breakpoint_forever") |> ignore
    t.Expect Prompt |> ignore
    t.SendLine "args"
    Assert.That(t.Expect Prompt, Does.Contain "i = 1")
    t.SendLine "p i"
    Assert.That(t.Expect Prompt, Does.Contain "1")
    t.SendLine "bt"
    Assert.That(t.Expect Prompt, Does.Contain("SubactorBreakpoint.breakpointForever in ").And.Contain("SubactorBreakpoint.fs:15"))
    t.SendLine "tree"
    let tree = t.Expect Prompt
    Assert.That(tree, Does.Match @"\('root', '\w+'\) pid \d+ running")
    Assert.That(tree, Does.Match @"└─ \('breakpoint_forever', '\w+'\) pid \d+ in the REPL")

    for i in 2..3 do
        t.SendLine "c"
        t.Expect(paused "breakpoint_forever") |> ignore
        t.Expect Prompt |> ignore
        t.SendLine "p i"
        Assert.That(t.Expect Prompt, Does.Contain(string i))

    t.SendLine "c"
    Assert.That(t.ExpectEnd(), Does.Contain "breakpoint_forever paused 3 times and returned")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``q in a child's REPL raises DebuggerQuitError, which ends the tree after the root's post-mortem`` () =
    use t = example "subactor-breakpoint"
    t.Expect Prompt |> ignore
    t.SendLine "q"
    let root = t.Expect Prompt
    Assert.That(root, Does.Match(crashed "root"))
    Assert.That(root, Does.Contain("RemoteActorError").And.Contain("DebuggerQuitError").And.Contain("breakpoint_forever"))
    t.SendLine "c"
    Assert.That(t.ExpectEnd(), Does.Contain "the debugger was quit ('q') in actor 'breakpoint_forever'")
    Assert.That(t.ExitCode(), Is.EqualTo 1)

let ``Ctrl-C bursts while a REPL is open are ignored and the prompt comes back`` () =
    use t = example "subactor-breakpoint"
    t.Expect Prompt |> ignore

    for _ in 1..3 do
        t.SendControlC()
        t.Expect "Ignoring SIGINT while debug REPL in use" |> ignore
        t.Expect Prompt |> ignore

    // the REPL still answers, and the tree was not cancelled
    t.SendLine "p i"
    Assert.That(t.Expect Prompt, Does.Contain "1")

    for _ in 1..2 do
        t.SendLine "c"
        t.Expect Prompt |> ignore

    t.SendLine "c"
    Assert.That(t.ExpectEnd(), Does.Contain "paused 3 times")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``post-mortem opens in the crashed child, then in each parent as the error climbs`` () =
    use t = example "nested-subactor-error"
    t.Expect(crashed "name_error") |> ignore
    t.SendLine "ex"
    let ex = t.Expect Prompt
    Assert.That(ex, Does.Contain "System.MissingMemberException: name 'doggypants' is not defined")
    Assert.That(ex, Does.Contain "NestedSubactorError.fs:")
    t.SendLine "c"
    let before = t.Expect(crashed "spawn_until_0")
    Assert.That(before, Does.Not.Contain "Opening a REPL", "a second REPL opened before the first was continued")
    Assert.That(t.Expect Prompt, Does.Contain("RemoteActorError").And.Contain("'name_error'"))
    t.SendLine "c"
    t.Expect(crashed "root") |> ignore
    Assert.That(t.Expect Prompt, Does.Contain "via spawn_until_0")
    t.SendLine "c"
    Assert.That(t.ExpectEnd(), Does.Contain "System.MissingMemberException from 'name_error' via spawn_until_0")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``an error in the root actor opens its own post-mortem`` () =
    use t = example "root-actor-error"
    t.Expect(crashed "root") |> ignore
    Assert.That(t.Expect Prompt, Does.Contain "System.InvalidOperationException: assert 0")
    t.SendLine "bt"
    Assert.That(t.Expect Prompt, Does.Contain "RootActorError.fs:")
    t.SendLine "q"
    Assert.That(t.ExpectEnd(), Does.Contain "the root's error propagated after its post-mortem: assert 0")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``daemons that pause and crash take turns on the terminal until the root's post-mortem`` () =
    use t = example "multi-daemon-subactors"
    let headers = Collections.Generic.List<string>()
    let mutable ended = false
    let mutable turns = 0

    while not ended do
        turns <- turns + 1
        Assert.That(turns, Is.LessThan 20, "the REPLs did not end")
        let m = Regex.Match(t.Expect Prompt, @"Opening a REPL in (paused|crashed) actor \('(\w+)'")
        Assert.That(m.Success, "each prompt follows a header")
        headers.Add $"{m.Groups[1].Value} {m.Groups[2].Value}"
        t.SendLine "c"
        // the root's post-mortem is the last REPL
        ended <- headers[headers.Count - 1] = "crashed root"

    Assert.That(headers, Does.Contain "paused bp_forever")
    Assert.That(headers, Does.Contain "crashed name_error")
    Assert.That(t.ExpectEnd(), Does.Contain "the second System.MissingMemberException from 'name_error' ended the tree")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

// ---- the lock ----

/// Asks `tree` until the other pauser shows as waiting for the terminal (it has queued).
let private untilQueued (t: PseudoTerminal) =
    let mutable tries = 0
    let mutable queued = false

    while not queued do
        tries <- tries + 1
        Assert.That(tries, Is.LessThan 200, "the second pauser never queued for the terminal")
        t.SendLine "tree"
        queued <- (t.Expect Prompt).Contains "waiting for the terminal"

let ``the second actor's REPL appears only once the first released the lock`` () =
    use t = PseudoTerminal.StartDotnet(testAppDll (), [ "pausers"; "on" ])
    let firstName = Regex.Match(t.Expect Prompt, @"paused actor \('(pauser_\w)'").Groups[1].Value
    untilQueued t
    Assert.That(Regex.Matches(t.Output, "Opening a REPL").Count, Is.EqualTo 1, "two REPLs at once")
    t.SendLine "c"
    let other = if firstName = "pauser_a" then "pauser_b" else "pauser_a"
    t.Expect(paused other) |> ignore
    t.Expect Prompt |> ignore
    t.SendLine "c"
    Assert.That(t.ExpectEnd(), Does.Contain "done a b")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``a child killed while it holds the lock releases it to the next in line`` () =
    use t = PseudoTerminal.StartDotnet(testAppDll (), [ "pausers"; "on" ])
    let header = t.Expect Prompt
    let holder = Regex.Match(header, @"paused actor \('(pauser_\w)'").Groups[1].Value
    let pid = pidIn header
    untilQueued t
    Process.GetProcessById(pid).Kill()
    let other = if holder = "pauser_a" then "pauser_b" else "pauser_a"
    // The holder's death frees the lock and fails the tree at the same moment: the next in line
    // gets the terminal, unless the tree's cancellation reaches it first and withdraws its request;
    // then the root's post-mortem gets it. Either way the dead holder released the lock.
    t.Expect($@"Opening a REPL in (?:paused actor \('{other}'|crashed actor \('root')") |> ignore
    let next = Regex.Matches(t.Output, @"Opening a REPL in \w+ actor \('(\w+)'") |> Seq.last

    if next.Groups[1].Value = other then
        t.Expect Prompt |> ignore
        t.SendLine "c"
        // the killed actor's death fails the tree: the root's post-mortem, then the end
        t.Expect(crashed "root") |> ignore

    Assert.That(t.Expect Prompt, Does.Contain "ActorDiedError")
    t.SendLine "c"
    t.ExpectEnd() |> ignore
    Assert.That(t.ExitCode(), Is.Not.EqualTo 0)

let ``the cancel ladder waits while a child holds the terminal lock`` () =
    // The root cancels its nursery with a 1 ms + 1 ms ladder once the child's REPL is open.
    use t = PseudoTerminal.StartDotnet(testAppDll (), [ "ladder-waits" ])
    let first = t.Expect Prompt
    Assert.That(first, Does.Match(paused "holder"))
    // the root says it cancels as soon as the lock is granted: before or after the header
    if not (first.Contains "cancelling") then
        t.Expect "cancelling" |> ignore
    // Far past the ladder's 2 ms, the child still answers from its REPL.
    t.SendLine "p name"
    Assert.That(t.Expect Prompt, Does.Contain "\"h\"")
    t.SendLine "tree"
    Assert.That(t.Expect Prompt, Does.Match @"\('holder', '\w+'\) pid \d+ in the REPL")
    t.SendLine "c"
    Assert.That(t.ExpectEnd(), Does.Contain "done")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``with Tractor.Debugger.Eval referenced, p evaluates C# expressions in a child's REPL`` () =
    use t = PseudoTerminal.StartDotnet(testAppDll (), [ "pausers"; "on" ])
    let name = Regex.Match(t.Expect Prompt, @"paused actor \('pauser_(\w)'").Groups[1].Value
    t.SendLine "p name.ToUpper() + \"!\" + (name.Length * 10)"
    // the first expression loads Roslyn: a few seconds
    Assert.That(t.Expect(Prompt, TimeSpan.FromMinutes 2.0), Does.Contain $"\"{name.ToUpperInvariant()}!10\"")
    t.SendLine "p nosuch + 1"
    Assert.That(t.Expect Prompt, Does.Contain("*** ").And.Contain("nosuch"))
    t.SendLine "c"
    t.Expect Prompt |> ignore
    t.SendLine "c"
    Assert.That(t.ExpectEnd(), Does.Contain "done a b")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``debug mode off: a pause does nothing and prints nothing`` () =
    use t = PseudoTerminal.StartDotnet(testAppDll (), [ "pausers"; "off" ])
    let all = t.ExpectEnd()
    Assert.That(all.Trim(), Is.EqualTo "done a b")
    Assert.That(t.ExitCode(), Is.EqualTo 0)

let ``without a terminal on standard input a pause says so on standard error and continues`` () =
    let code, out, err = ExamplesTests.runExample "FSharp" [ "subactor-breakpoint" ] (TimeSpan.FromMinutes 2.0)
    Assert.That(code, Is.EqualTo 0, err)
    Assert.That(out, Does.Contain "paused 3 times")
    Assert.That(err, Does.Contain("pause in actor ('breakpoint_forever'").And.Contain("not a terminal; continuing"))
    Assert.That(Regex.Matches(err, "skipped").Count, Is.EqualTo 1, "said once per actor")

// ---- parts ----

let ``the terminal lock is granted first come, first served, and a withdrawn request is skipped`` () =
    let l = TerminalLock()
    let granted = Collections.Generic.List<string>()
    let key r = { Route = r; Session = 1 }

    for r in [ "a"; "b"; "c"; "d" ] do
        l.Acquire(key r, fun () -> granted.Add r)

    Assert.That(List.ofSeq granted, Is.EqualTo<string list> [ "a" ])
    l.Release(key "c") // withdrawn while queued
    l.Release(key "a")
    Assert.That(List.ofSeq granted, Is.EqualTo<string list> [ "a"; "b" ])
    l.Release(key "x") // neither holder nor queued: nothing happens
    Assert.That(l.Holder, Is.EqualTo(Some(key "b")))
    l.Release(key "b")
    Assert.That(List.ofSeq granted, Is.EqualTo<string list> [ "a"; "b"; "d" ])
    l.Release(key "d")
    Assert.That(l.Holder, Is.EqualTo None)

type Line = { Product: string; Quantity: int }
type Order = { Id: int; Lines: Line list; Tags: Map<string, string> }

let ``the evaluator reads members, methods and indexes of the pause's values, and explains what it cannot`` () =
    let order = { Id = 7; Lines = [ { Product = "tea"; Quantity = 2 } ]; Tags = Map [ "rush", "yes" ] }
    let values = [ "order", box order; "n", box 42 ]
    let eval = Evaluator.evaluate values
    let Ok (v: obj) : Result<obj, string> = Ok v
    Assert.That(eval "n", Is.EqualTo(Ok 42))
    Assert.That(eval "order.Lines[0].Product", Is.EqualTo(Ok "tea"))
    Assert.That(eval "order.Lines.Length", Is.EqualTo(Ok 1))
    Assert.That(eval "order.Tags[\"rush\"]", Is.EqualTo(Ok "yes"))
    Assert.That(eval "order.id.ToString()", Is.EqualTo(Ok "7"))

    for bad, says in
        [ "nope", "no value named 'nope' (known: order, n)"
          "order.Missing", "has no property or field 'Missing'"
          "order.Lines[5]", "no item 5"
          "order.Lines[", "missing ']'"
          "1 + 2", "not an expression" ] do
        match eval bad with
        | Error e -> Assert.That(e, Does.Contain says, bad)
        | Ok v -> Assert.Fail $"'{bad}' gave {v}"

[<Expecto.Tests>]
let tests =
    Register.tests "DebuggerTests" [
        Register.test "a child's pause names it, shows its values and stack, and each c continues until exit 0" ``a child's pause names it, shows its values and stack, and each c continues until exit 0``
        Register.test "q in a child's REPL raises DebuggerQuitError, which ends the tree after the root's post-mortem" ``q in a child's REPL raises DebuggerQuitError, which ends the tree after the root's post-mortem``
        Register.test "Ctrl-C bursts while a REPL is open are ignored and the prompt comes back" ``Ctrl-C bursts while a REPL is open are ignored and the prompt comes back``
        Register.test "post-mortem opens in the crashed child, then in each parent as the error climbs" ``post-mortem opens in the crashed child, then in each parent as the error climbs``
        Register.test "an error in the root actor opens its own post-mortem" ``an error in the root actor opens its own post-mortem``
        Register.test "daemons that pause and crash take turns on the terminal until the root's post-mortem" ``daemons that pause and crash take turns on the terminal until the root's post-mortem``
        Register.test "the second actor's REPL appears only once the first released the lock" ``the second actor's REPL appears only once the first released the lock``
        Register.test "a child killed while it holds the lock releases it to the next in line" ``a child killed while it holds the lock releases it to the next in line``
        Register.test "the cancel ladder waits while a child holds the terminal lock" ``the cancel ladder waits while a child holds the terminal lock``
        Register.test "with Tractor.Debugger.Eval referenced, p evaluates C# expressions in a child's REPL" ``with Tractor.Debugger.Eval referenced, p evaluates C# expressions in a child's REPL``
        Register.test "debug mode off: a pause does nothing and prints nothing" ``debug mode off: a pause does nothing and prints nothing``
        Register.test "without a terminal on standard input a pause says so on standard error and continues" ``without a terminal on standard input a pause says so on standard error and continues``
        Register.test "the terminal lock is granted first come, first served, and a withdrawn request is skipped" ``the terminal lock is granted first come, first served, and a withdrawn request is skipped``
        Register.test "the evaluator reads members, methods and indexes of the pause's values, and explains what it cannot" ``the evaluator reads members, methods and indexes of the pause's values, and explains what it cannot``
    ]
