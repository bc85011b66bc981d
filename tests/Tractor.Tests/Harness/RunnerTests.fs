/// The runner itself must be able to fail: an NUnit assertion is a failure, a leaked process
/// fails its test, a failed property prints a replay that reproduces it, and a run that selects
/// no test fails. Each runs a small test tree on Expecto inside this test.
module TractorNet.Tests.RunnerTests

open System
open System.Diagnostics
open System.Threading.Tasks
open NUnit.Framework
open TractorNet.Testing

/// Runs `test` as Main does (sequenced, under the zombie check) and gives Expecto's summary.
let private runInner (test: Expecto.Test) : Expecto.Impl.TestRunSummary =
    let mutable summary = None

    let config =
        [ Expecto.Tests.CLIArguments.Sequenced
          Expecto.Tests.CLIArguments.No_Spinner
          Expecto.Tests.CLIArguments.Append_Summary_Handler(Expecto.Tests.SummaryHandler(fun s -> summary <- Some s)) ]

    Expecto.Tests.runTestsWithCLIArgs config [||] (withZombieCheck (Expecto.Tests.testList "runner self-test, failing on purpose" [ test ])) |> ignore
    summary.Value

let private failureMessage (s: Expecto.Impl.TestRunSummary) =
    match s.failed with
    | [ _, summary ] ->
        match summary.result with
        | Expecto.Impl.TestResult.Failed message -> message
        | other -> failwith $"expected a failure, got {other}"
    | other -> failwith $"expected one failed test, got {other.Length}"

let ``a failed NUnit assertion is reported as a failure, not an error`` () =
    let s = runInner (Register.test "fails" (fun () -> Assert.That(1 + 1, Is.EqualTo 3)))
    Assert.That(s.failed.Length, Is.EqualTo 1)
    Assert.That(s.errored, Is.Empty)
    Assert.That(failureMessage s, Does.Contain "Expected: 3")

let ``a failed NUnit assertion inside a task is reported as a failure`` () =
    let s =
        runInner (
            Register.test "fails" (fun () ->
                task {
                    do! Task.Yield()
                    Assert.That("abc", Does.Contain "x")
                })
        )

    Assert.That(s.failed.Length, Is.EqualTo 1)
    Assert.That(s.errored, Is.Empty)

let ``Assert.Ignore skips the test`` () =
    let s = runInner (Register.test "skips" (fun () -> Assert.Ignore "not here"))
    Assert.That(s.ignored.Length, Is.EqualTo 1)
    Assert.That(s.failed, Is.Empty)
    Assert.That(s.errored, Is.Empty)

let ``a test that leaves a process running fails the zombie check, and the process is killed`` () =
    let mutable pid = 0

    let s =
        runInner (
            Register.test "leaks" (fun () ->
                let p = Process.Start(ProcessStartInfo("sleep", "60", UseShellExecute = false))
                pid <- p.Id)
        )

    Assert.That(failureMessage s, Does.Contain "Zombie check")
    Assert.That(failureMessage s, Does.Contain $"pid {pid}")
    Assert.That(OurProcesses.list () |> List.exists (fun p -> p.Pid = pid), Is.False, "the leaked process was killed")

let ``a failed property prints a replay that reproduces the same counterexample`` () =
    let property (xs: int list) = List.length xs < 3
    let first = failureMessage (runInner (Register.property 100 [] "short lists" property))
    let replay = Text.RegularExpressions.Regex.Match(first, ReplayVariable + "=\"([0-9,]+)\"")
    Assert.That(replay.Success, Is.True, $"no replay in: {first}")
    // The same failing case, reached again from the printed replay: its arguments, then shrunk
    // (FsCheck prints no "Shrunk" part when the first counterexample is already minimal).
    let falsifiable (message: string) =
        let found = Text.RegularExpressions.Regex.Match(message, @"Parameters:\s*([^\n]*)")
        let shrunk = Text.RegularExpressions.Regex.Match(message, @"Shrunk[^\n]*\n\s*([^\n]*)")
        match found.Success, shrunk.Success with
        | true, true -> $"{found.Groups[1].Value} => {shrunk.Groups[1].Value}"
        | true, false -> found.Groups[1].Value
        | _ -> ""

    let saved = Environment.GetEnvironmentVariable ReplayVariable

    try
        Environment.SetEnvironmentVariable(ReplayVariable, replay.Groups[1].Value)
        let again = failureMessage (runInner (Register.property 100 [] "short lists" property))
        Assert.That(falsifiable first, Is.Not.Empty, first)
        Assert.That(falsifiable again, Is.EqualTo(falsifiable first), again)
    finally
        Environment.SetEnvironmentVariable(ReplayVariable, saved)

/// Runs this suite's runner in a process of its own: (exit code, stdout, stderr).
let private runner (args: string list) =
    let psi =
        ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)

    for a in Reflection.Assembly.GetExecutingAssembly().Location :: args do
        psi.ArgumentList.Add a

    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()

    if not (p.WaitForExit(TimeSpan.FromMinutes 2.0)) then
        p.Kill true
        Assert.Fail "the runner did not exit within 2 minutes"

    p.WaitForExit()
    p.ExitCode, out.Result, err.Result

let ``a run that selects no test fails and says so`` () =
    let code, out, err = runner [ "--filter-test-case"; "no such test anywhere" ]
    Assert.That(code, Is.Not.EqualTo 0, out)
    Assert.That(err, Does.Contain "No test was selected")
    Assert.That(out, Does.Contain "0 passed, 1 failed, 0 skipped")

let ``--name selects by any part of the full name, in any case`` () =
    let code, out, err = runner [ "--name"; "runnertests/A RUN THAT SELECTS"; "--list-tests" ]
    Assert.That(code, Is.EqualTo 0, err)
    let listed = out.Split('\n') |> Array.filter (fun l -> l.Contains "RunnerTests/")
    Assert.That(listed.Length, Is.EqualTo 1, out)
    Assert.That(listed[0], Does.Contain "RunnerTests/a run that selects no test fails and says so")

let ``--skip-category leaves a category out and --category keeps only it`` () =
    let _, all, _ = runner [ "--list-tests" ]
    let _, skipped, _ = runner [ "--skip-category"; "Packages"; "--list-tests" ]
    let _, only, _ = runner [ "--category"; "Packages"; "--list-tests" ]
    let lines (text: string) = text.Split('\n') |> Array.filter (fun l -> l.Contains "/")
    Assert.That(lines all |> Array.filter (fun l -> l.Contains "PackageTests/"), Is.Not.Empty, all)
    Assert.That(lines skipped |> Array.filter (fun l -> l.Contains "PackageTests/"), Is.Empty, skipped)
    Assert.That(lines skipped, Is.Not.Empty)
    Assert.That(lines only |> Array.forall (fun l -> l.Contains "PackageTests/"), Is.True, only)
    Assert.That(lines only, Is.Not.Empty)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "RunnerTests" [
        Register.test "a failed NUnit assertion is reported as a failure, not an error" ``a failed NUnit assertion is reported as a failure, not an error``
        Register.test "a failed NUnit assertion inside a task is reported as a failure" ``a failed NUnit assertion inside a task is reported as a failure``
        Register.test "Assert.Ignore skips the test" ``Assert.Ignore skips the test``
        Register.test "a test that leaves a process running fails the zombie check, and the process is killed" ``a test that leaves a process running fails the zombie check, and the process is killed``
        Register.test "a failed property prints a replay that reproduces the same counterexample" ``a failed property prints a replay that reproduces the same counterexample``
        Register.test "a run that selects no test fails and says so" ``a run that selects no test fails and says so``
        Register.test "--name selects by any part of the full name, in any case" ``--name selects by any part of the full name, in any case``
        Register.test "--skip-category leaves a category out and --category keeps only it" ``--skip-category leaves a category out and --category keeps only it``
    ]
