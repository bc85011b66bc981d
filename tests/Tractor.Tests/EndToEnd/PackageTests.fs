/// The packages, used as a user uses them: fresh F# and C# consoles outside the solution
/// reference Tractor.FSharp / Tractor.CSharp from a local folder feed (no project reference),
/// build, publish and run actors. Slow (it packs, builds and publishes): category Packages
/// (`--skip-category Packages`, or `dotnet fsi build.fsx -t Test --fast`, leaves it out).
module TractorNet.Tests.PackageTests

open System
open System.Diagnostics
open System.IO
open System.IO.Compression
open System.Reflection.PortableExecutable
open System.Runtime.InteropServices
open NUnit.Framework
open TractorNet.Testing

/// Runs `program args` in `dir` and gives (exit code, stdout and stderr). A run that outlives
/// `timeout` is killed with its process tree and fails the test.
let private exec (dir: string) (timeout: TimeSpan) (program: string) (args: string list) =
    let psi =
        ProcessStartInfo(program, WorkingDirectory = dir, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)

    for a in args do
        psi.ArgumentList.Add a
    // No build servers or reused MSBuild nodes: nothing may outlive the build (the zombie check).
    psi.Environment["MSBUILDDISABLENODEREUSE"] <- "1"
    psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] <- "0"
    psi.Environment["UseSharedCompilation"] <- "false"
    psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] <- "1"
    psi.Environment["DOTNET_NOLOGO"] <- "1"
    // The consoles are built as a user builds them, not as part of this repository's build.
    for v in [ "MSBuildExtensionsPath"; "MSBuildSDKsPath"; "MSBUILD_EXE_PATH"; "MSBuildLoadMicrosoftTargetsReadOnly" ] do
        psi.Environment.Remove v |> ignore

    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()

    if not (p.WaitForExit timeout) then
        p.Kill true
        p.WaitForExit()
        Assert.Fail($"'{program} {String.Join(' ', args)}' did not finish within {timeout}:\n{out.Result}\n{err.Result}")

    p.WaitForExit()
    p.ExitCode, out.Result + err.Result

let private dotnet (dir: string) (args: string list) =
    let code, output = exec dir (TimeSpan.FromMinutes 5.0) "dotnet" args
    Assert.That(code, Is.EqualTo 0, $"dotnet {String.Join(' ', args)}:\n{output}")
    output

/// NuGet's global packages folder, where restore extracts the test's package versions.
let private globalPackages =
    match Environment.GetEnvironmentVariable "NUGET_PACKAGES" with
    | null
    | "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".nuget", "packages")
    | dir -> dir

type private Feed = { Root: string; Feed: string; Version: string }

/// Packs the libraries (the core, the C# facade and the optional parts, as built for this test run) into a local folder feed, under a version of
/// their own (restore caches a version for good), next to a nuget.config that adds the feed to the
/// machine's configured sources. Removed, with the cached versions, when the run ends.
let private feed =
    lazy
        (let root = Directory.CreateTempSubdirectory("tractor-packages-").FullName
         let version = $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}"
         let feed = Path.Combine(root, "feed")

         AppDomain.CurrentDomain.ProcessExit.Add(fun _ ->
             let delete (dir: string) =
                 try
                     Directory.Delete(dir, true)
                 with _ ->
                     ()

             delete root

             for id in [ "tractor.fsharp"; "tractor.csharp"; "tractor.discovery.etcd"; "tractor.hosting"; "tractor.debugger.eval" ] do
                 delete (Path.Combine(globalPackages, id, version))
                 // The package's folder too, when no other version is cached there.
                 let idDir = Path.Combine(globalPackages, id)
                 if Directory.Exists idDir && Seq.isEmpty (Directory.EnumerateFileSystemEntries idDir) then
                     delete idDir)

         for project in [ "src/Tractor.FSharp"; "src/Tractor.CSharp"; "src/Tractor.Discovery.Etcd"; "src/Tractor.Hosting"; "src/Tractor.Debugger.Eval" ] do
             dotnet
                 RepoPaths.root.Value
                 [ "pack"; project; "--no-build"; "-c"; RepoPaths.configuration; "-o"; feed; $"-p:PackageVersion={version}" ]
             |> ignore
         // The feed comes in addition to the configured sources (no <clear/>: FSharp.Core and the
         // SDK's packs come from there, or from the global packages folder when offline).
         File.WriteAllText(
             Path.Combine(root, "nuget.config"),
             """<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="tractor-test-feed" value="feed" />
  </packageSources>
</configuration>
"""
         )
         // Stops MSBuild's search for Directory.Build.* above the temporary folder.
         for f in [ "Directory.Build.props"; "Directory.Build.targets" ] do
             File.WriteAllText(Path.Combine(root, f), "<Project />\n")

         { Root = root; Feed = feed; Version = version })

/// A console project `name` in the feed's folder, from its project file (`extension`: .fsproj
/// or .csproj) and program text.
let private console (name: string) (extension: string) (projectFile: string) (program: string * string) =
    let dir = Path.Combine(feed.Value.Root, name)
    Directory.CreateDirectory dir |> ignore
    File.WriteAllText(Path.Combine(dir, name + extension), projectFile)
    File.WriteAllText(Path.Combine(dir, fst program), snd program)
    dir

let private fsharpProgram =
    """module App.Program

open System
open System.Threading.Tasks
open TractorNet

let childPid () = task { return Environment.ProcessId }

/// A context: Started(start + 1), then an upper-cased echo of every message; returns the count.
let upper (ctx: Context<int>) (start: int) : Task<int> =
    task {
        do! ctx.Started(start + 1)
        use stream = ctx.OpenStream<string, string>()
        let mutable count = 0
        for msg in stream do
            do! stream.Send(msg.ToUpperInvariant())
            count <- count + 1
        return count
    }

let private talk (portal: Portal) =
    task {
        let! ctx, first = portal.OpenContext(upper, 41)
        use _ = ctx
        use stream = ctx.OpenStream<string, string>()
        do! stream.Send "ping"
        let mutable reply = ""
        for msg in TaskSeq.take 1 stream do
            reply <- msg
        do! stream.Stop()
        let! served = ctx.Result()
        return first, reply, served
    }

[<EntryPoint>]
let main _ =
    (task {
        let! pid =
            nursery {
                let! p = runInActor childPid
                return! p.Result()
            }
        printfn $"child pid {pid}, parent pid {Environment.ProcessId}"
        let! first, reply, served =
            nursery {
                let! portal = startActor ("server", [ "App.Program" ])
                let! result = talk portal
                let! _ = portal.CancelActor()
                return result
            }
        printfn $"context: first {first}, reply {reply}, served {served}"
        return 0
    })
        .GetAwaiter()
        .GetResult()
"""

let private csharpProgram =
    """using TractorNet;

await Tractor.OpenNursery(async n =>
{
    var portal = await n.RunInActor(Work.ChildPid);
    Console.WriteLine($"child pid {await portal.Result()}, parent pid {Environment.ProcessId}");
    var server = await n.StartActor("server", [typeof(Work)]);
    await using (var ctx = await server.OpenContextAsync<int, int, int>(Work.Upper, 41))
    {
        string reply;
        await using (var stream = ctx.OpenStream<string, string>())
        {
            await using var replies = stream.GetAsyncEnumerator(default);
            await stream.Send("ping");
            if (!await replies.MoveNextAsync()) throw new InvalidOperationException("no reply");
            reply = replies.Current;
        }
        Console.WriteLine($"context: first {ctx.First}, reply {reply}, served {await ctx.Result()}");
    }
    await server.CancelActor();
});

public static class Work
{
    public static Task<int> ChildPid() => Task.FromResult(Environment.ProcessId);

    /// <summary>A context: Started(start + 1), then an upper-cased echo of every message; returns the count.</summary>
    public static async Task<int> Upper(Context<int> ctx, int start)
    {
        await ctx.Started(start + 1);
        await using var stream = ctx.OpenStream<string, string>();
        var count = 0;
        await foreach (var msg in stream)
        {
            await stream.Send(msg.ToUpperInvariant());
            count++;
        }
        return count;
    }
}
"""

/// A project file as `dotnet new console` writes it, plus the package reference.
let private projectFile (package: string) (compile: string) =
    let csharp = if compile = "" then "\n    <ImplicitUsings>enable</ImplicitUsings>\n    <Nullable>enable</Nullable>" else ""
    $"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>{csharp}
  </PropertyGroup>
  <ItemGroup>{compile}
    <PackageReference Include="{package}" Version="{feed.Value.Version}" />
  </ItemGroup>
</Project>
"""

/// The F# console, built once (the publish tests reuse it).
let private fsharpApp =
    lazy
        (let dir = console "fsapp" ".fsproj" (projectFile "Tractor.FSharp" "\n    <Compile Include=\"Program.fs\" />") ("Program.fs", fsharpProgram)
         dotnet dir [ "build" ] |> ignore
         dir)

/// The two lines the consoles print when both the actor and the context worked.
let private assertRanActors (output: string) =
    let m = Text.RegularExpressions.Regex.Match(output, @"child pid (\d+), parent pid (\d+)")
    Assert.That(m.Success, Is.True, output)
    Assert.That(m.Groups[1].Value, Is.Not.EqualTo(m.Groups[2].Value), "the function ran in another process")
    Assert.That(output, Does.Contain "context: first 42, reply PING, served 1")

/// True when the assembly holds ReadyToRun (precompiled) code.
let private isReadyToRun (dll: string) =
    use pe = new PEReader(File.OpenRead dll)
    pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size > 0

let private run (dir: string) (program: string) (args: string list) =
    exec dir (TimeSpan.FromMinutes 2.0) program args

let ``the packages hold the actor host, its ReadyToRun targets, XML docs and a README`` () =
    let v = feed.Value.Version

    let entries (id: string) =
        use zip = ZipFile.OpenRead(Path.Combine(feed.Value.Feed, $"{id}.{v}.nupkg"))
        let nuspec = zip.GetEntry($"{id}.nuspec")
        use reader = new StreamReader(nuspec.Open())
        (zip.Entries |> Seq.map _.FullName |> Set.ofSeq), reader.ReadToEnd()

    let fs, fsSpec = entries "Tractor.FSharp"
    let cs, csSpec = entries "Tractor.CSharp"
    Assert.That(fs, Is.SupersetOf [ "lib/net10.0/Tractor.FSharp.dll"; "lib/net10.0/Tractor.FSharp.xml"; "buildTransitive/Tractor.FSharp.targets"; "README.md" ])
    Assert.That(cs, Is.SupersetOf [ "lib/net10.0/Tractor.CSharp.dll"; "lib/net10.0/Tractor.CSharp.xml"; "README.md" ])

    for spec in [ fsSpec; csSpec ] do
        for tag in [ "<authors>"; "<description>"; "<readme>README.md</readme>"; "<tags>"; "<repository type=\"git\"" ] do
            Assert.That(spec, Does.Contain tag)
    // The C# facade brings the F# core with its build targets (the actor host is precompiled).
    Assert.That(csSpec, Does.Contain $"<dependency id=\"Tractor.FSharp\" version=\"{v}\"")
    Assert.That(csSpec, Does.Not.Contain "exclude=\"Build")

    // The optional parts: each its own package on top of the core (or the facade), never inside it.
    for id, on in [ "Tractor.Discovery.Etcd", "Tractor.FSharp"; "Tractor.Hosting", "Tractor.CSharp"; "Tractor.Debugger.Eval", "Tractor.FSharp" ] do
        let files, spec = entries id
        Assert.That(files, Is.SupersetOf [ $"lib/net10.0/{id}.dll"; $"lib/net10.0/{id}.xml"; "README.md" ], id)
        Assert.That(spec, Does.Contain $"<dependency id=\"{on}\" version=\"{v}\"", id)
        Assert.That(fs, Does.Not.Contain $"lib/net10.0/{id}.dll", "the core package does not carry it")

let ``a fresh F# console runs an actor and a context from the packages, its actor host ReadyToRun-compiled`` () =
    let dir = fsharpApp.Value
    let output = Path.Combine(dir, "bin", "Debug", "net10.0")
    let code, out = run dir "dotnet" [ Path.Combine(output, "fsapp.dll") ]
    Assert.That(code, Is.EqualTo 0, out)
    assertRanActors out
    Assert.That(isReadyToRun (Path.Combine(output, "Tractor.FSharp.dll")), Is.True, "Tractor.FSharp.dll is ReadyToRun")

let ``a fresh C# console runs an actor and a context from the packages, its actor host ReadyToRun-compiled`` () =
    let dir = console "csapp" ".csproj" (projectFile "Tractor.CSharp" "") ("Program.cs", csharpProgram)
    dotnet dir [ "build" ] |> ignore
    let output = Path.Combine(dir, "bin", "Debug", "net10.0")
    let code, out = run dir "dotnet" [ Path.Combine(output, "csapp.dll") ]
    Assert.That(code, Is.EqualTo 0, out)
    assertRanActors out
    Assert.That(isReadyToRun (Path.Combine(output, "Tractor.FSharp.dll")), Is.True, "Tractor.FSharp.dll is ReadyToRun")

let ``a framework-dependent published app spawns actors`` () =
    let dir = fsharpApp.Value
    let published = Path.Combine(dir, "published")
    dotnet dir [ "publish"; "-o"; published ] |> ignore
    // Started through its own executable, as a deployed app is.
    let code, out = run dir (Path.Combine(published, "fsapp")) []
    Assert.That(code, Is.EqualTo 0, out)
    assertRanActors out

let ``a single-file app fails to spawn with a message naming the supported ways`` () =
    let dir = fsharpApp.Value
    let single = Path.Combine(dir, "single")

    dotnet dir [ "publish"; "-r"; RuntimeInformation.RuntimeIdentifier; "--self-contained"; "false"; "-p:PublishSingleFile=true"; "-o"; single ]
    |> ignore

    let code, out = run dir (Path.Combine(single, "fsapp")) []
    Assert.That(code, Is.Not.EqualTo 0, out)
    Assert.That(out, Does.Contain "single-file")
    Assert.That(out, Does.Contain "Supported: the build output")
    Assert.That(out, Does.Contain "framework-dependent `dotnet publish` without PublishSingleFile")

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "PackageTests" [
        yield! Register.category "Packages" [
            Register.test "the packages hold the actor host, its ReadyToRun targets, XML docs and a README" ``the packages hold the actor host, its ReadyToRun targets, XML docs and a README``
            Register.test "a fresh F# console runs an actor and a context from the packages, its actor host ReadyToRun-compiled" ``a fresh F# console runs an actor and a context from the packages, its actor host ReadyToRun-compiled``
            Register.test "a fresh C# console runs an actor and a context from the packages, its actor host ReadyToRun-compiled" ``a fresh C# console runs an actor and a context from the packages, its actor host ReadyToRun-compiled``
            Register.test "a framework-dependent published app spawns actors" ``a framework-dependent published app spawns actors``
            Register.test "a single-file app fails to spawn with a message naming the supported ways" ``a single-file app fails to spawn with a message naming the supported ways``
        ]
    ]
