// Build targets in plain F# (FAKE 6 does not restore here and FAKE 5's CLI helpers fail):
//   dotnet fsi build.fsx -t <Build|Test|Examples|Bench|Pack|Fuzz>   (default: Build)
//   dotnet fsi build.fsx -t Test [--name TEXT] [--fast]   both suites; ends with "N passed, N failed, N skipped"
//   dotnet fsi build.fsx -t Bench [--quick] [--rounds N]   ours and the peers interleaved, one table
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

// ---------------------------------------------------------------- Bench

/// A built bench executable (the app host, or `dotnet` with the dll where there is none).
let benchExe (project: string) =
    let dir = Path.Combine(root, "bench", project, "bin", "Release")
    let dll = Directory.GetFiles(dir, $"{project}.dll", SearchOption.AllDirectories) |> Array.exactlyOne
    let host = Path.ChangeExtension(dll, if OperatingSystem.IsWindows() then ".exe" else null)
    if File.Exists host then host, [] else "dotnet", [ dll ]

/// One figure of a JSON line: value, baseline (if any), ratio to the baseline.
type BenchFigure = { Value: float; Baseline: float option }

/// Runs one bench process for one scenario, echoing its lines; gives the figures it printed
/// (by bench name) and whether it exited cleanly. A scenario that fails prints no line for its
/// figure, so a missing figure is a failure too.
let benchRun (exe: string * string list) (args: string list) =
    let program, pre = exe
    let clock = Stopwatch.StartNew()
    let code, lines = runCapturing program (pre @ args)
    printfn $"  ({clock.Elapsed.TotalSeconds:F1} s, exit code {code})"
    let figures =
        lines
        |> List.choose (fun l ->
            if l.StartsWith "{" then
                use doc = Text.Json.JsonDocument.Parse l
                let e = doc.RootElement
                let b = e.GetProperty "baseline"
                let baseline = if b.ValueKind = Text.Json.JsonValueKind.Null then None else Some(b.GetDouble())
                Some(e.GetProperty("bench").GetString(), { Value = e.GetProperty("value").GetDouble(); Baseline = baseline })
            else None)
        |> Map.ofList
    code, figures

/// `dotnet fsi build.fsx -t Bench [--quick] [--rounds N]`: our figure and the peers' of the same
/// scenario, one process after the other, for N rounds (3 by default), first request/response
/// (`portal.call`, `akka.request`, `proto.request`), then one-way with a 1024-message window
/// (`stream.oneway`, `akka.oneway`, `proto.oneway`); then a table of each figure (with its ratio
/// to its own raw-socket baseline of the same run) and ours/peer per round and median. Without
/// --quick, every scenario of ours follows. Every JSON line is printed as it comes. A run that
/// fails (exits non-zero, or leaves out a figure) is reported as such and makes the target fail.
let bench () =
    let quick = flag "--quick" || List.contains "--quick" extra
    let rounds = option "--rounds" |> Option.map int |> Option.defaultValue 3
    let quickArg = if quick then [ "--quick" ] else []
    let clock = Stopwatch.StartNew()
    for project in [ "Tractor.Bench"; "Tractor.Bench.Peers" ] do
        dotnet [ "build"; "-c"; "Release"; "--nologo"; "-v"; "q"; $"bench/{project}" ]
    let ours = benchExe "Tractor.Bench"
    let peers = benchExe "Tractor.Bench.Peers"
    // Each group: title, unit, our scenario, the peers' scenarios, and what the raw baselines are.
    let groups =
        [ "request/response", "round trips/s", "portal.call", [ "akka.request"; "proto.request" ],
          "ours: raw async ping-pong over a Unix socket (our transport); peers: raw TCP ping-pong between the same two processes (theirs)"
          "one-way, 1024-message window", "msgs/s", "stream.oneway.w1024", [ "akka.oneway"; "proto.oneway" ],
          "ours: raw batched Unix socket stream of frames as large as the items'; peers: raw batched TCP stream of 8-byte numbered messages between the same two processes" ]
    let failures = Collections.Generic.List<string>()
    // results[(bench, round)] = the figure, when that run succeeded
    let results = Collections.Generic.Dictionary<string * int, BenchFigure>()
    let measure exe (name: string) round =
        let code, figures = benchRun exe ([ name ] @ quickArg)
        match Map.tryFind name figures with
        | Some f when code = 0 -> results[(name, round)] <- f
        | _ -> failures.Add $"{name} round {round} (exit code {code})"
    for _, _, ourName, peerNames, _ in groups do
        for round in 1..rounds do
            measure ours ourName round
            for p in peerNames do
                measure peers p round
    // The table.
    let fmt (x: float) = if x >= 100.0 then x.ToString("N0", Globalization.CultureInfo.InvariantCulture) else x.ToString("G3", Globalization.CultureInfo.InvariantCulture)
    let cell (f: BenchFigure option) =
        match f with
        | Some f -> fmt f.Value + (match f.Baseline with Some b -> $" ({f.Value / b:G3} of raw)" | None -> "")
        | None -> "failed"
    let median (xs: float list) =
        match List.sort xs with
        | [] -> None
        | s -> let n = s.Length in Some(if n % 2 = 1 then s[n / 2] else (s[n / 2 - 1] + s[n / 2]) / 2.0)
    let machine =
        try
            let line = File.ReadLines "/proc/cpuinfo" |> Seq.find (fun l -> l.StartsWith "model name")
            line.Substring(line.IndexOf ':' + 1).Trim()
        with _ -> "unknown CPU"
    let load = try String.concat " " ((File.ReadAllText "/proc/loadavg").Split(' ') |> Array.take 3) with _ -> "?"
    printfn ""
    let mode = (if quick then ", --quick" else "") + $", {rounds} rounds in {clock.Elapsed.TotalSeconds:F0} s"
    let date = DateTime.UtcNow.ToString "yyyy-MM-dd"
    printfn $"Against the peers: {date}, {Environment.ProcessorCount} cores, {machine}, load average {load}{mode}"
    for title, unit, ourName, peerNames, baselines in groups do
        let names = ourName :: peerNames
        let header = [ "round" ] @ names @ [ for p in peerNames -> "ours/" + p.Split('.')[0] ]
        printfn ""
        printfn $"{title} ({unit}; in brackets: ratio to the raw socket of the same run)"
        printfn $"baselines: {baselines}"
        printfn "| %s |" (String.Join(" | ", header))
        printfn "|%s|" (String.Join("|", header |> List.map (fun _ -> "---")))
        let ratio round p =
            match results.TryGetValue((ourName, round)), results.TryGetValue((p, round)) with
            | (true, o), (true, q) -> Some(o.Value / q.Value)
            | _ -> None
        for round in 1..rounds do
            let figures = [ for n in names -> cell (match results.TryGetValue((n, round)) with | true, f -> Some f | _ -> None) ]
            let ratios = [ for p in peerNames -> ratio round p |> Option.map (sprintf "%.2f") |> Option.defaultValue "-" ]
            printfn "| %d | %s |" round (String.Join(" | ", figures @ ratios))
        let medianOf n = median [ for r in 1..rounds do match results.TryGetValue((n, r)) with | true, f -> yield f.Value | _ -> () ]
        let figures = [ for n in names -> medianOf n |> Option.map fmt |> Option.defaultValue "failed" ]
        let ratios = [ for p in peerNames -> median [ for r in 1..rounds do match ratio r p with Some x -> yield x | None -> () ] |> Option.map (sprintf "%.2f") |> Option.defaultValue "-" ]
        printfn "| median | %s |" (String.Join(" | ", figures @ ratios))
    printfn ""
    if not quick then
        let program, pre = ours
        let code, _ = runCapturing program (pre @ [ "all" ])
        if code <> 0 then failures.Add $"Tractor.Bench all (exit code {code})"
    if failures.Count > 0 then
        eprintfn $"""Failed runs (no figure reported for them): {String.Join("; ", failures)}"""
        exit 1

let targets: (string * string * (unit -> unit)) list =
    [ "Build", "build the solution", (fun () -> dotnet ([ "build"; "Tractor.sln" ] @ extra))
      "Test", "run both test suites (the README's test command; --name TEXT, --fast)", test
      "Examples", "run every F# and C# example",
      (fun () ->
          for lang in [ "FSharp"; "CSharp" ] do
              for name in exampleNames lang do
                  dotnet [ "run"; "--project"; $"examples/{lang}"; "--"; name ])
      "Bench", "ours and the peers (Akka.NET, Proto.Actor) interleaved, a table of ours/peer, then every scenario (JSON lines; --quick, --rounds N)",
      bench
      "Fuzz", "fuzz failure trees of real actors: TRACTOR_FUZZ_LONG cases (default 300), TRACTOR_FUZZ_SEED to replay, TRACTOR_FUZZ_LOAD busy loops beside (CPU starvation)",
      (fun () ->
          if String.IsNullOrEmpty(Environment.GetEnvironmentVariable "TRACTOR_FUZZ_LONG") then
              Environment.SetEnvironmentVariable("TRACTOR_FUZZ_LONG", "300")
          // Hundreds of cases: no per-test hang limit (each case bounds itself).
          Environment.SetEnvironmentVariable("TRACTOR_TEST_HANG_MINUTES", "0")
          dotnet ([ "run"; "--project"; "tests/Tractor.Tests"; "--"; "--category"; "Fuzz" ] @ extra))
      "Pack", "pack the libraries into artifacts/",
      (fun () ->
          for p in [ "src/Tractor.FSharp"; "src/Tractor.CSharp"; "src/Tractor.Discovery.Etcd"; "src/Tractor.Hosting"; "src/Tractor.Debugger.Eval" ] do
              dotnet ([ "pack"; p; "-c"; "Release"; "-o"; Path.Combine(root, "artifacts") ] @ extra)) ]

match targets |> List.tryFind (fun (n, _, _) -> String.Equals(n, target, StringComparison.OrdinalIgnoreCase)) with
| Some(_, _, action) -> action ()
| None ->
    eprintfn $"unknown target '{target}'. Targets:"
    for n, d, _ in targets do
        eprintfn $"  %-10s{n} {d}"
    exit 2
