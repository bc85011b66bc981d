// Build targets in plain F# (FAKE 6 does not restore here and FAKE 5's CLI helpers fail):
//   dotnet fsi build.fsx -t <Build|Test|Examples|Bench|Pack|Fuzz>   (default: Build)
//   dotnet fsi build.fsx -t Test [--name TEXT] [--fast]   both suites; ends with "N passed, N failed, N skipped"
// Extra arguments after `--` go to the underlying command (for Test: to the F# runner).

open System
open System.Diagnostics
open System.IO

let root = __SOURCE_DIRECTORY__

let run (program: string) (args: string list) =
    printfn $"> {program} {String.Join(' ', args)}"
    let psi = ProcessStartInfo(program, WorkingDirectory = root, UseShellExecute = false)
    for a in args do
        psi.ArgumentList.Add a
    use p = Process.Start psi
    p.WaitForExit()
    if p.ExitCode <> 0 then
        eprintfn $"'{program}' exited with {p.ExitCode}"
        exit p.ExitCode

let dotnet args = run "dotnet" args

/// Runs a test command, echoing its output, and gives its exit code and output lines.
let runCapturing (program: string) (args: string list) =
    printfn $"> {program} {String.Join(' ', args)}"
    let psi = ProcessStartInfo(program, WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true)
    for a in args do
        psi.ArgumentList.Add a
    use p = Process.Start psi
    let lines = Collections.Generic.List<string>()
    let mutable line = p.StandardOutput.ReadLine()
    while not (isNull line) do
        Console.WriteLine line
        lines.Add line
        line <- p.StandardOutput.ReadLine()
    p.WaitForExit()
    p.ExitCode, List.ofSeq lines

let argv = fsi.CommandLineArgs |> Array.skip 1 |> List.ofArray

let target, extra =
    let rec split acc =
        function
        | "--" :: rest -> List.rev acc, rest
        | x :: rest -> split (x :: acc) rest
        | [] -> List.rev acc, []
    let own, extra = split [] argv
    match own with
    | ("-t" | "--target") :: t :: _ -> t, extra
    | t :: _ when not (t.StartsWith "-") -> t, extra
    | _ -> "Build", extra

/// The value of an option of this script (`--name TEXT`), or a flag's presence.
let option (name: string) =
    argv |> List.takeWhile ((<>) "--") |> List.pairwise |> List.tryFind (fst >> (=) name) |> Option.map snd
let flag (name: string) = argv |> List.takeWhile ((<>) "--") |> List.contains name

/// Both suites, one after the other (both always run): the F# suite on Expecto, the C# suite on
/// NUnit. `--name TEXT` selects tests whose full name contains TEXT in both; `--fast` leaves out
/// the slow package test. Ends with the plain line "N passed, N failed, N skipped" over both, and
/// fails when either suite fails or nothing at all was selected.
let test () =
    let name = option "--name"
    let fsArgs =
        [ "run"; "--project"; "tests/Tractor.Tests"; "--" ]
        @ (match name with Some n -> [ "--name"; n; "--allow-empty" ] | None -> [])
        @ (if flag "--fast" then [ "--skip-category"; "Packages" ] else [])
        @ extra
    let csArgs =
        [ "test"; "tests/Tractor.CSharp.Tests"; "--blame-hang"; "--blame-hang-timeout"; "10m"; "--blame-hang-dump-type"; "none" ]
        @ (match name with Some n -> [ "--filter"; $"FullyQualifiedName~{n}" ] | None -> [])
    let fsCode, fsOut = runCapturing "dotnet" fsArgs
    let csCode, csOut = runCapturing "dotnet" csArgs
    let count (pattern: string) (lines: string list) =
        lines
        |> List.choose (fun l ->
            // Expecto colours its output: match on the text without escape sequences.
            let plain = Text.RegularExpressions.Regex.Replace(l, "\u001b\\[[0-9;?]*[A-Za-z]", "")
            let m = Text.RegularExpressions.Regex.Match(plain, pattern)
            if m.Success then Some(int m.Groups["p"].Value, int m.Groups["f"].Value, int m.Groups["s"].Value) else None)
        |> List.tryLast
    // The F# runner's own last line; VSTest's "Passed!  - Failed: 0, Passed: 9, Skipped: 0, ...".
    let fs = count @"^(?<p>\d+) passed, (?<f>\d+) failed, (?<s>\d+) skipped" fsOut
    let cs = count @"(Passed|Failed)! +- +Failed: +(?<f>\d+), +Passed: +(?<p>\d+), +Skipped: +(?<s>\d+)" csOut
    let suite (code: int) (counts: (int * int * int) option) =
        match counts with
        | Some(p, f, s) -> p, (if code <> 0 && f = 0 then 1 else f), s
        | None when code = 0 -> 0, 0, 0 // no line: nothing matched --name
        | None -> 0, 1, 0
    let p1, f1, s1 = suite fsCode fs
    let p2, f2, s2 = suite csCode cs
    let passed, failed, skipped = p1 + p2, f1 + f2, s1 + s2
    if passed + failed + skipped = 0 then
        eprintfn "No test was selected in either suite."
        printfn "0 passed, 1 failed, 0 skipped"
        exit 1
    printfn $"{passed} passed, {failed} failed, {skipped} skipped"
    if failed > 0 then exit 1

let exampleNames (lang: string) =
    let psi = ProcessStartInfo("dotnet", $"run --project examples/{lang} -- --list", WorkingDirectory = root, RedirectStandardOutput = true)
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    out.Split('\n', StringSplitOptions.RemoveEmptyEntries) |> Array.map (fun l -> l.Split(' ').[0])

let targets: (string * string * (unit -> unit)) list =
    [ "Build", "build the solution", (fun () -> dotnet ([ "build"; "Tractor.sln" ] @ extra))
      "Test", "run both test suites (the README's test command; --name TEXT, --fast)", test
      "Examples", "run every F# and C# example",
      (fun () ->
          for lang in [ "FSharp"; "CSharp" ] do
              for name in exampleNames lang do
                  dotnet [ "run"; "--project"; $"examples/{lang}"; "--"; name ])
      "Bench", "run all benchmark scenarios (JSON lines)",
      (fun () -> dotnet ([ "run"; "-c"; "Release"; "--project"; "bench/Tractor.Bench"; "--"; "all" ] @ extra))
      "Fuzz", "fuzz failure trees of real actors: TRACTOR_FUZZ_LONG cases (default 300), TRACTOR_FUZZ_SEED to replay, TRACTOR_FUZZ_LOAD busy loops beside (CPU starvation)",
      (fun () ->
          if String.IsNullOrEmpty(Environment.GetEnvironmentVariable "TRACTOR_FUZZ_LONG") then
              Environment.SetEnvironmentVariable("TRACTOR_FUZZ_LONG", "300")
          // Hundreds of cases: no per-test hang limit (each case bounds itself).
          Environment.SetEnvironmentVariable("TRACTOR_TEST_HANG_MINUTES", "0")
          dotnet ([ "run"; "--project"; "tests/Tractor.Tests"; "--"; "--category"; "Fuzz" ] @ extra))
      "Pack", "pack the libraries into artifacts/",
      (fun () ->
          for p in [ "src/Tractor.FSharp"; "src/Tractor.CSharp" ] do
              dotnet ([ "pack"; p; "-c"; "Release"; "-o"; Path.Combine(root, "artifacts") ] @ extra)) ]

match targets |> List.tryFind (fun (n, _, _) -> String.Equals(n, target, StringComparison.OrdinalIgnoreCase)) with
| Some(_, _, action) -> action ()
| None ->
    eprintfn $"unknown target '{target}'. Targets:"
    for n, d, _ in targets do
        eprintfn $"  %-10s{n} {d}"
    exit 2
