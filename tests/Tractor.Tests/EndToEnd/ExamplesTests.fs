/// Runs every example of both runners as a real process and expects exit code 0
/// (like tractor's docs-examples test).
module TractorNet.Tests.ExamplesTests

open System
open System.Diagnostics
open System.IO
open NUnit.Framework
open TractorNet.Testing

let private runner (lang: string) =
    Path.Combine(RepoPaths.outputOf $"examples/{lang}", $"Tractor.Examples.{lang}.dll")

/// Runs `dotnet <runner> args` and returns (exit code, stdout, stderr). A run that outlives
/// its timeout is killed with its whole process tree and reported as a failure.
let runExample (lang: string) (args: string list) (timeout: TimeSpan) =
    // Standard input closed: an example never waits for a terminal (the debugger's need one).
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add(runner lang)
    for a in args do
        psi.ArgumentList.Add a
    use p = Process.Start psi
    p.StandardInput.Close()
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    if not (p.WaitForExit timeout) then
        p.Kill true
        p.WaitForExit()
        Assert.Fail($"example {lang} {args} did not finish within {timeout}")
    p.WaitForExit()
    p.ExitCode, out.Result, err.Result

let private names lang =
    let code, out, err = runExample lang [ "--list" ] (TimeSpan.FromMinutes 1.0)
    Assert.That(code, Is.EqualTo 0, err)
    out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
    |> Array.map (fun line -> line.Split(' ', StringSplitOptions.RemoveEmptyEntries).[0])

let examples () =
    [| for lang in [ "FSharp"; "CSharp" ] do
           for name in names lang -> TestCaseData(lang, name).SetName($"example {lang} {name}") |]

let ``example runs to exit code 0`` (lang: string, name: string) =
    let code, out, err = runExample lang [ name ] (TimeSpan.FromMinutes 2.0)
    Assert.That(code, Is.EqualTo 0, $"stdout:\n{out}\nstderr:\n{err}")

/// F#-only examples: task-seq shows F#'s taskSeq builder, which C# replaces with async iterators.
let private fsharpOnly = set [ "task-seq" ]

let ``every F# example but task-seq has a C# twin of the same name`` () =
    let missing = Set.ofArray (names "FSharp") - Set.ofArray (names "CSharp") - fsharpOnly
    Assert.That(missing, Is.Empty, "F# examples without a C# twin")

let ``an unknown example name is refused with exit code 2`` () =
    for lang in [ "FSharp"; "CSharp" ] do
        let code, _, err = runExample lang [ "no-such-example" ] (TimeSpan.FromMinutes 1.0)
        Assert.That(code, Is.EqualTo 2)
        Assert.That(err, Does.Contain "unknown example")

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ExamplesTests" [
        yield! Register.casesFrom "example runs to exit code 0" examples ``example runs to exit code 0``
        Register.test "every F# example but task-seq has a C# twin of the same name" ``every F# example but task-seq has a C# twin of the same name``
        Register.test "an unknown example name is refused with exit code 2" ``an unknown example name is refused with exit code 2``
    ]
