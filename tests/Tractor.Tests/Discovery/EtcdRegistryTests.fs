/// The etcd registry backend (Tractor.Discovery.Etcd) against a real etcd server that each test
/// starts on free loopback ports (Debian's etcd-server; the tests skip where it is not
/// installed): the built-in registry's core behaviours, plus the lease that drops a killed
/// actor's entries by itself.
module TractorNet.Tests.EtcdRegistryTests

open System
open System.Diagnostics
open System.IO
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Discovery
open TractorNet.Discovery.Etcd
open TractorNet.Tests.DiscoverySupport

/// The etcd binary, if installed.
let private etcdBinary () =
    [ "/usr/bin/etcd"; "/usr/local/bin/etcd" ] |> List.tryFind File.Exists

let private freePort () =
    let probe = new Net.Sockets.TcpListener(Net.IPAddress.Loopback, 0)
    probe.Start()
    let port = (probe.LocalEndpoint :?> Net.IPEndPoint).Port
    probe.Stop()
    port

/// Runs `f` with a fresh etcd server's registry address (`etcd://127.0.0.1:port/<prefix>`); the
/// server is killed and its data directory removed afterwards.
let private withEtcd (f: string -> Task) () : Task =
    task {
        match etcdBinary () with
        | None -> Assert.Ignore "etcd is not installed (apt-get install etcd-server): the etcd registry tests are skipped"
        | Some etcd ->
            let dir = Directory.CreateTempSubdirectory "tractor-etcd-"
            let client, peer = freePort (), freePort ()
            let psi = ProcessStartInfo(etcd, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)

            for a in
                [ "--name"; "test"; "--data-dir"; dir.FullName
                  "--listen-client-urls"; $"http://127.0.0.1:{client}"; "--advertise-client-urls"; $"http://127.0.0.1:{client}"
                  "--listen-peer-urls"; $"http://127.0.0.1:{peer}"; "--initial-advertise-peer-urls"; $"http://127.0.0.1:{peer}"
                  "--initial-cluster"; $"test=http://127.0.0.1:{peer}" ] do
                psi.ArgumentList.Add a

            use server = Process.Start psi
            let ready = TaskCompletionSource()
            let log = Text.StringBuilder()

            let read (reader: StreamReader) =
                Task.Run(fun () ->
                    let mutable line = reader.ReadLine()

                    while not (isNull line) do
                        lock log (fun () -> log.AppendLine line |> ignore)

                        if line.Contains "ready to serve client requests" then
                            ready.TrySetResult() |> ignore

                        line <- reader.ReadLine()

                    ready.TrySetException(Exception "etcd ended before it was ready") |> ignore)

            let _ = read server.StandardOutput
            let _ = read server.StandardError

            try
                try
                    do! ready.Task.WaitAsync(TimeSpan.FromSeconds 60.0)
                with e ->
                    Assert.Fail $"etcd did not start: {e.Message}\n{lock log (fun () -> log.ToString())}"

                do! f $"etcd://127.0.0.1:{client}/t{Guid.NewGuid():N}"
            finally
                server.Kill true
                server.WaitForExit()
                dir.Delete true
    }

/// An entry of this (live) process under `name`.
let private entry name =
    { Name = name
      Uid = Guid.NewGuid().ToString "N"
      Pid = Environment.ProcessId
      Address = string (TractorNet.Ipc.UnixSocketDirectory.newAddress "etcd")
      Parent = ""
      Host = Environment.MachineName
      Registered = 0L }

/// A registry client of its own, as another process would have (its own lease).
let private client address = EtcdBackend address :> IRegistry

/// Closes a client as its process would at exit (the lease revoked).
let private close (r: IRegistry) = (r :?> EtcdBackend).Close()

let ``an entry is found by name, registering again is idempotent, and unregistering removes it`` address : Task =
    task {
        let r = client address
        let e = entry "etcd-alpha"
        do! r.Register e
        do! r.Register e
        let! found = r.Lookup "etcd-alpha"
        let! listed = r.List()
        do! r.Unregister e.Uid
        let! after = r.Lookup "etcd-alpha"
        close r
        Assert.That(found, eq [ e ])
        Assert.That(listed, eq [ e ])
        Assert.That(after, eq ([]: ActorEntry list))
    }

let ``two actors under one name: the earliest registered comes first, then the next once it unregisters`` address : Task =
    task {
        let a, b = client address, client address
        let first, second = entry "etcd-twin", entry "etcd-twin"
        do! a.Register first
        do! b.Register second
        do! a.Register first // again: keeps its place
        let! both = b.Lookup "etcd-twin"
        do! a.Unregister first.Uid
        let! rest = b.Lookup "etcd-twin"
        close a
        close b
        Assert.That(both, eq [ first; second ])
        Assert.That(rest, eq [ second ])
    }

let ``waitFor wakes on a registration that comes later`` address : Task =
    task {
        let waiter, registrant = client address, client address
        let e = entry "etcd-later"
        let waiting = waiter.WaitFor("etcd-later", CancellationToken.None)
        Assert.That(waiting.IsCompleted, Is.False, "nothing is registered under the name yet")
        do! registrant.Register e
        let! got = waiting.WaitAsync(TimeSpan.FromSeconds 60.0)
        close waiter
        close registrant
        Assert.That(got, Is.EqualTo e)
    }

let ``waitFor honours cancellation`` address : Task =
    task {
        let r = client address
        use cts = new CancellationTokenSource()
        let waiting = r.WaitFor("etcd-never", cts.Token)
        Assert.That(waiting.IsCompleted, Is.False)
        cts.Cancel()
        let! outcome = catchAsync (fun () -> waiting.WaitAsync(TimeSpan.FromSeconds 30.0))
        close r
        Assert.That(outcome, Is.InstanceOf<OperationCanceledException>(), $"got {outcome}")
    }

let ``a second program finds and calls an actor of the first, which is unregistered when it ends`` address : Task =
    task {
        let registry = [ "TRACTOR_REGISTRY", address ]
        let program, daemonPid = serveIn registry "etcd-svc"
        use _ = program
        let lines = findIn registry [ "etcd-svc"; "etcd-nobody" ]
        Assert.That(lines[0], Does.StartWith $"found etcd-svc {daemonPid} hello finder from etcd-svc pid {daemonPid}")
        Assert.That(lines[1], Is.EqualTo "none etcd-nobody")
        Assert.That(program.End(), Is.EqualTo 0, program.Stderr())
        let r = client address
        let! after = r.List()
        close r
        Assert.That(after |> List.filter (fun e -> e.Name = "etcd-svc"), eq ([]: ActorEntry list), "unregistered when it ended")
    }

let ``a program waiting for a name wakes when another program registers it`` address : Task =
    task {
        let registry = [ "TRACTOR_REGISTRY", address ]
        use waiter = new Program([ "wait"; "etcd-awaited" ], registry)
        let program, daemonPid = serveIn registry "etcd-awaited"
        use _ = program
        Assert.That(waiter.Exit(), Is.EqualTo 0, waiter.Stderr())
        Assert.That(waiter.NextLine(), Does.StartWith $"found etcd-awaited {daemonPid} ")
        Assert.That(program.End(), Is.EqualTo 0, program.Stderr())
    }

let ``a killed program's entries expire with its lease`` address : Task =
    task {
        let registry = [ "TRACTOR_REGISTRY", address ]
        let program, _ = serveIn registry "etcd-doomed"
        use _ = program
        let r = client address
        let! before = r.List()
        Assert.That(before |> List.exists (fun e -> e.Name = "etcd-doomed"), Is.True, "registered")
        // SIGKILL: nobody unregisters; only the lease's expiry removes the keys (List does not
        // filter dead pids, so this sees etcd's own view).
        program.Process.Kill true
        program.Process.WaitForExit()
        let clock = Stopwatch.StartNew()
        let mutable gone = false

        while not gone && clock.Elapsed < TimeSpan.FromSeconds 60.0 do
            let! now = r.List()
            gone <- now |> List.forall (fun e -> e.Name <> "etcd-doomed")

            if not gone then
                do! Task.Delay 250 // a lease's expiry has no event to wait for but the keys' deletion

        close r
        Assert.That(gone, Is.True, "the entries expired within 60 s of the kill")
    }

/// The discovery suite (DiscoveryTests) run again in a test process of its own whose registry is
/// this etcd server (TRACTOR_TEST_ETCD): a process chooses its registry once, so the second
/// backend gets a process of its own. The registrar's election and takeover tests skip there.
let ``the discovery suite passes against etcd as it does against the built-in registrar`` (address: string) : Task =
    task {
        let endpoint = Uri(address.Replace("etcd://", "http://")).Authority
        let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)

        for a in [ Reflection.Assembly.GetExecutingAssembly().Location; "--name"; "DiscoveryTests/" ] do
            psi.ArgumentList.Add a

        psi.Environment["TRACTOR_TEST_ETCD"] <- endpoint
        // A marker of its own: its zombie checks must not count this run's etcd server as a leak.
        psi.Environment[TractorNet.Testing.OurProcesses.MarkerVariable] <- Guid.NewGuid().ToString "N"
        psi.Environment.Remove "TRACTOR_REGISTRY" |> ignore
        use run = Process.Start psi
        let output = run.StandardOutput.ReadToEndAsync()
        let errors = run.StandardError.ReadToEndAsync()

        if not (run.WaitForExit(TimeSpan.FromMinutes 8.0)) then
            run.Kill true
            Assert.Fail "the discovery suite against etcd did not finish within 8 minutes"

        let! output = output
        let! errors = errors
        let summary = output.Split('\n') |> Array.map _.Trim() |> Array.filter (fun l -> l.EndsWith " skipped") |> Array.tryLast |> Option.defaultValue "no summary line"
        Assert.That(run.ExitCode, Is.EqualTo 0, $"{summary}\n{output}\n{errors}")
        // Every test but the registrar's own ran.
        Assert.That(summary, Does.Match @"(^|m)\d\d+ passed, 0 failed, 3 skipped$", output)
    }

/// This file's tests, in file order, each against its own etcd server.
[<Expecto.Tests>]
let tests =
    Register.tests "EtcdRegistryTests" [
        Register.test "an entry is found by name, registering again is idempotent, and unregistering removes it" (withEtcd ``an entry is found by name, registering again is idempotent, and unregistering removes it``)
        Register.test "two actors under one name: the earliest registered comes first, then the next once it unregisters" (withEtcd ``two actors under one name: the earliest registered comes first, then the next once it unregisters``)
        Register.test "waitFor wakes on a registration that comes later" (withEtcd ``waitFor wakes on a registration that comes later``)
        Register.test "waitFor honours cancellation" (withEtcd ``waitFor honours cancellation``)
        Register.test "a second program finds and calls an actor of the first, which is unregistered when it ends" (withEtcd ``a second program finds and calls an actor of the first, which is unregistered when it ends``)
        Register.test "a program waiting for a name wakes when another program registers it" (withEtcd ``a program waiting for a name wakes when another program registers it``)
        Register.test "a killed program's entries expire with its lease" (withEtcd ``a killed program's entries expire with its lease``)
        Register.test "the discovery suite passes against etcd as it does against the built-in registrar" (withEtcd ``the discovery suite passes against etcd as it does against the built-in registrar``)
    ]
