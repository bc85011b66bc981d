// Build targets in plain F# (FAKE 6 does not restore here and FAKE 5's CLI helpers fail):
//   dotnet fsi build.fsx -t <Build|Test|Examples|Bench|Pack|Fuzz>   (default: Build)
// Extra arguments after `--` go to the underlying command.

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
    | [ t ] -> t, extra
    | _ -> "Build", extra

let exampleNames (lang: string) =
    let psi = ProcessStartInfo("dotnet", $"run --project examples/{lang} -- --list", WorkingDirectory = root, RedirectStandardOutput = true)
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    out.Split('\n', StringSplitOptions.RemoveEmptyEntries) |> Array.map (fun l -> l.Split(' ').[0])

let targets: (string * string * (unit -> unit)) list =
    [ "Build", "build the solution", (fun () -> dotnet ([ "build"; "Tractor.sln" ] @ extra))
      "Test", "run every test (the README's test command)", (fun () -> dotnet ([ "test"; "Tractor.sln" ] @ extra))
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
          dotnet (
              [ "test"; "tests/Tractor.Tests"; "--filter"; "TestCategory=Fuzz"; "--logger"; "console;verbosity=detailed" ]
              @ extra
          ))
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
