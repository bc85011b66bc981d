/// Helpers for the discovery tests: an isolated registry for this test run, and separate
/// programs (Tractor.TestApp) serving and finding actors by name.
module TractorNet.Tests.DiscoverySupport

open System
open System.Diagnostics
open System.IO
open System.Threading.Tasks
open NUnit.Framework
open TractorNet.Ipc
open TractorNet.Testing

let private made = Collections.Concurrent.ConcurrentBag<string>()

/// The etcd server (`host:port`) the discovery suite runs against when EtcdRegistryTests runs it
/// a second time (TRACTOR_TEST_ETCD); None: the built-in registrar.
let etcdUnderTest =
    match Environment.GetEnvironmentVariable "TRACTOR_TEST_ETCD" with
    | null
    | "" -> None
    | endpoint -> Some endpoint

/// A fresh registry address: in the per-user socket directory (nobody else's registrar), or a
/// fresh key prefix on the etcd server under test.
let freshRegistry () =
    match etcdUnderTest with
    | Some endpoint ->
        TractorNet.Discovery.Etcd.EtcdRegistry.install ()
        $"etcd://{endpoint}/t{Guid.NewGuid():N}"
    | None ->
        let path = Path.Combine(UnixSocketDirectory.ensure (), $"reg-{Guid.NewGuid():N}".Substring(0, 16) + ".sock")
        made.Add path
        string (IpcAddress.Uds path)

/// Removes the files of the fresh registries whose programs have all ended (a lock file is never
/// removed while a registrar may hold it: only after the test, and not this process's own).
let removeFreshRegistries (keep: string) =
    for path in made do
        if string (IpcAddress.Uds path) <> keep then
            for file in [ path; path + ".lock" ] do
                try
                    File.Delete file
                with _ ->
                    ()

/// This test process's registry: its own, chosen once before its first use of discovery (the
/// programs the tests start inherit it unless given another).
let useOwnRegistry =
    let chosen =
        lazy
            (let address = freshRegistry ()
             Environment.SetEnvironmentVariable("TRACTOR_REGISTRY", address)
             // Private to this run: its files go when the test process ends.
             AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> removeFreshRegistries "")
             address)

    fun () -> chosen.Force()

/// A separate program (Tractor.TestApp) with its output lines as they come; `launcher` runs it
/// through another command (e.g. `ip netns exec <namespace>`), which must exec it in place.
type Program(args: string list, env: (string * string) list, ?launcher: string list) =
    let launcher = defaultArg launcher []

    let psi =
        ProcessStartInfo(
            (match launcher with
             | command :: _ -> command
             | [] -> "dotnet"),
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true
        )

    do
        OurProcesses.ensureMarked ()

        if not launcher.IsEmpty then
            for a in List.tail launcher @ [ "dotnet" ] do
                psi.ArgumentList.Add a

        psi.ArgumentList.Add(Path.Combine(RepoPaths.outputOf "tests/Tractor.TestApp", "Tractor.TestApp.dll"))

        for a in args do
            psi.ArgumentList.Add a

        for k, v in env do
            psi.Environment[k] <- v

    let p = Process.Start psi
    let lines = new Collections.Concurrent.BlockingCollection<string>()
    let stderr = Text.StringBuilder()

    do
        Task.Run(fun () ->
            let mutable line = p.StandardOutput.ReadLine()

            while not (isNull line) do
                lines.Add line
                line <- p.StandardOutput.ReadLine()

            lines.CompleteAdding())
        |> ignore

    let stderrDone =
        Task.Run(fun () ->
            let mutable line = p.StandardError.ReadLine()

            while not (isNull line) do
                lock stderr (fun () -> stderr.AppendLine line |> ignore)
                line <- p.StandardError.ReadLine())

    member _.Process = p

    /// The next output line (bounded generously); fails the test with the program's stderr if
    /// the program ends or stays silent.
    member this.NextLine() : string =
        let mutable line = null

        if not (lines.TryTake(&line, TimeSpan.FromSeconds 90.0)) then
            Assert.Fail($"program {args} printed nothing more; stderr:\n{this.Stderr()}")

        line

    /// Closes the program's standard input (a serving program then ends) and waits for its exit.
    member this.End() : int =
        p.StandardInput.Close()

        if not (p.WaitForExit(TimeSpan.FromSeconds 60.0)) then
            p.Kill true
            Assert.Fail $"program {args} did not end after its input closed"

        p.WaitForExit()
        p.ExitCode

    /// Waits for the program's own exit (bounded).
    member this.Exit() : int =
        if not (p.WaitForExit(TimeSpan.FromSeconds 90.0)) then
            p.Kill true
            Assert.Fail $"program {args} did not finish"

        p.WaitForExit()
        p.ExitCode

    /// Everything the program wrote to standard error (complete once it has exited).
    member _.Stderr() : string =
        if p.HasExited then
            stderrDone.Wait(TimeSpan.FromSeconds 10.0) |> ignore

        lock stderr (fun () -> stderr.ToString())

    interface IDisposable with
        member _.Dispose() =
            if not p.HasExited then
                try
                    p.Kill true
                    p.WaitForExit()
                with _ ->
                    ()

            p.Dispose()

/// Starts `serve <name>` and waits for its `ready` line; returns the program and the daemon's pid.
let serveIn (env: (string * string) list) (name: string) =
    let program = new Program([ "serve"; name ], env)
    let line = program.NextLine()
    Assert.That(line, Does.StartWith $"ready {name} ", program.Stderr())
    program, int (line.Split(' ')[2])

/// Runs `find <names>` to its end; returns its lines.
let findIn (env: (string * string) list) (names: string list) =
    use program = new Program("find" :: names, env)
    let code = program.Exit()
    let lines = [ for _ in names -> program.NextLine() ]
    Assert.That(code, Is.EqualTo 0, program.Stderr())
    lines
