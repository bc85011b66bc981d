/// Discovery by name (docs/discovery.md): registration and unregistration, waiting for a name,
/// stale entries, duplicate names, peer portals, a second program, registrar takeover, and the
/// cookie that every connection by address proves. The separate programs are Tractor.TestApp.
module TractorNet.Tests.DiscoveryTests

open System
open System.Diagnostics
open System.IO
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Discovery
open TractorNet.Ipc
open TractorNet.Testing
open TractorNet.Tests.DiscoverySupport

let private service = [ DiscoveryService.moduleName ]

/// In a child: publishes itself, then finds its own name; true if that gave its own portal.
let findsItself () : Task<bool> =
    task {
        let! _ = publishActor ()
        let! found = findActor (Actor.name ())

        match found with
        | Some p -> return p.Actor = Actor.id () && not p.IsPeer
        | None -> return false
    }

/// In a child: the pid of its tree's root, found with getRoot.
let rootPid () : Task<int> =
    task {
        let! root = getRoot ()
        return root.Pid
    }

/// Runs a test with this process's own registry chosen first, and the fresh registries the test
/// made removed after it (this process's own goes at exit: DiscoverySupport.useOwnRegistry).
let private withRegistry (f: unit -> 'T) () : Task =
    task {
        useOwnRegistry () |> ignore

        try
            match box (f ()) with
            | :? Task as t -> do! t
            | _ -> ()
        finally
            removeFreshRegistries (useOwnRegistry ())
    }

/// Runs a test of the built-in registrar's own behaviour (its election and takeover), which has no
/// counterpart when the suite runs against etcd.
let private registrarOnly (f: unit -> 'T) () : 'T =
    if etcdUnderTest.IsSome then
        Assert.Ignore "the built-in registrar's own behaviour: etcd has no registrar to elect or take over"

    f ()

let ``a discoverable daemon is found by name, called as a peer, and unregistered when it is cancelled`` () : Task =
    task {
        let! before, after, greeting, peerPid, daemonPid, isPeer =
            nursery {
                let! daemon = startDiscoverableActor ("disc-alpha", service)
                let! found = findActor "disc-alpha"
                let peer = found.Value
                let! greeting = peer.Run(fun () -> DiscoveryService.greet "test")
                let! _ = daemon.CancelActor()
                let! after = findActor "disc-alpha"
                return found.IsSome, after.IsSome, greeting, peer.Pid, daemon.Pid, peer.IsPeer
            }

        Assert.That(before, Is.True, "found while it runs")
        Assert.That(isPeer, Is.True)
        Assert.That(peerPid, Is.EqualTo daemonPid)
        Assert.That(greeting, Does.StartWith $"hello test from disc-alpha pid {daemonPid}")
        Assert.That(after, Is.False, "gone once cancelled")
    }

let ``an unknown name is not found and has no address`` () : Task =
    task {
        let! found = findActor "nobody-by-this-name"
        let! address = queryActor "nobody-by-this-name"
        Assert.That(found.IsNone && address.IsNone, Is.True)
    }

let ``queryActor gives the address a discoverable actor serves at`` () : Task =
    task {
        let! address =
            nursery {
                let! daemon = startDiscoverableActor ("disc-query", service)
                let! address = queryActor "disc-query"
                let! _ = daemon.CancelActor()
                return address
            }

        Assert.That(address.IsSome, Is.True)
        Assert.That(address.Value.Scheme, Is.EqualTo "uds")
        Assert.That(string address.Value, Does.Contain "disc-query")
    }

let ``waitForActor wakes on a registration that comes later`` () : Task =
    task {
        let! waitedPid, daemonPid =
            nursery {
                let waiting = waitForActor "disc-later"
                Assert.That(waiting.IsCompleted, Is.False, "nothing is registered under the name yet")
                let! daemon = startDiscoverableActor ("disc-later", service)
                let! portal = waiting.WaitAsync(TimeSpan.FromSeconds 60.0)
                let! _ = daemon.CancelActor()
                return portal.Pid, daemon.Pid
            }

        Assert.That(waitedPid, Is.EqualTo daemonPid)
    }

let ``waitForActor honours the cancellation of its scope`` () : Task =
    task {
        let scope = CancelScope()
        let waiting = CancelScope.run scope (fun _ -> waitForActor "disc-never")
        Assert.That(waiting.IsCompleted, Is.False)
        scope.Cancel()
        let! outcome = waiting.WaitAsync(TimeSpan.FromSeconds 30.0)
        Assert.That(outcome.IsNone, Is.True, "the scope absorbed its own cancellation")
    }

let ``a stale entry whose actor does not answer at its address is dropped at lookup`` () : Task =
    task {
        let registry = Registries.current ()
        let ghost =
            { Name = "disc-ghost"
              Uid = Guid.NewGuid().ToString "N"
              Pid = Environment.ProcessId // alive, so only the failed connection tells
              Address = string (UnixSocketDirectory.newAddress "ghost")
              Parent = ""
              Host = Environment.MachineName
              Registered = 0L }

        do! registry.Register ghost
        let! listed = registry.Lookup "disc-ghost"
        let! found = findActor "disc-ghost"
        let! afterwards = registry.Lookup "disc-ghost"
        Assert.That(listed, eq [ ghost ])
        Assert.That(found.IsNone, Is.True)
        Assert.That(afterwards, eq ([]: ActorEntry list), "dropped")
    }

let ``an entry whose process has died is dropped by the registrar`` () : Task =
    task {
        use gone = Process.Start(ProcessStartInfo("true", UseShellExecute = false))
        gone.WaitForExit()
        let registry = Registries.current ()

        let dead =
            { Name = "disc-dead"
              Uid = Guid.NewGuid().ToString "N"
              Pid = gone.Id
              Address = string (UnixSocketDirectory.newAddress "dead")
              Parent = ""
              Host = Environment.MachineName
              Registered = 0L }

        do! registry.Register dead
        let! listed = registry.Lookup "disc-dead"
        Assert.That(listed, eq ([]: ActorEntry list))
    }

let ``two actors under one name: the earliest registered is found, then the next once it ends`` () : Task =
    task {
        let! first, second, firstPid, secondPid =
            nursery {
                let! a = startDiscoverableActor ("disc-twin", service)
                let! b = startDiscoverableActor ("disc-twin", service)
                let! first = findActor "disc-twin"
                let! _ = a.CancelActor()
                let! second = findActor "disc-twin"
                let! _ = b.CancelActor()
                return first.Value.Pid, second.Value.Pid, a.Pid, b.Pid
            }

        Assert.That((first, second), Is.EqualTo((firstPid, secondPid)))
    }

let ``findActor of an actor's own name gives its own portal`` () : Task =
    task {
        let! itself =
            nursery {
                let! p = runInActor ("disc-self", findsItself)
                return! p.Result()
            }

        Assert.That(itself, Is.True)
    }

let ``two children find each other by name and talk (a trynamic first scene)`` () : Task =
    task {
        let! fromDonny, fromGretchen =
            nursery {
                let! donny = runInActor ("disc-donny", fun () -> DiscoveryService.greetPeer "disc-gretchen")
                let! gretchen = runInActor ("disc-gretchen", fun () -> DiscoveryService.greetPeer "disc-donny")
                let! a = donny.Result()
                let! b = gretchen.Result()
                return a, b
            }

        Assert.That(fromDonny, Does.StartWith "hello disc-donny from disc-gretchen")
        Assert.That(fromGretchen, Does.StartWith "hello disc-gretchen from disc-donny")
    }

let ``the root of a tree is reachable from its actors with getRoot`` () : Task =
    task {
        let! _ = getRoot () // the root uses discovery before it spawns
        let! rootPid =
            nursery {
                let! p = runInActor ("disc-rootfinder", rootPid)
                return! p.Result()
            }

        Assert.That(rootPid, Is.EqualTo Environment.ProcessId)
    }

let ``the current actor shows the registry address it uses`` () =
    Assert.That(Actor.current().Registry, Is.EqualTo(Environment.GetEnvironmentVariable "TRACTOR_REGISTRY"))

let ``the cookie file is made on first use, readable by this user only`` () : Task =
    task {
        let! _ = findActor "anyone"

        match Environment.GetEnvironmentVariable Cookie.EnvironmentVariable with
        | null
        | "" ->
            let mode = File.GetUnixFileMode(Cookie.filePath ())
            Assert.That(mode, Is.EqualTo(UnixFileMode.UserRead ||| UnixFileMode.UserWrite))
        | _ -> Assert.Ignore "TRACTOR_COOKIE is set: no cookie file is used"
    }

let ``a peer reached in another program runs calls, contexts and streams, and fails at the call site`` () : Task =
    task {
        let program, daemonPid = serveIn [] "disc-remote"
        use _ = program

        let! found = findActor "disc-remote"
        let peer = found.Value
        let! greeting = peer.Run(fun () -> DiscoveryService.greet "peer")
        let! items = TaskSeq.toListAsync (peer.OpenStreamFrom(fun () -> DiscoveryService.count 100))
        let! ctx, started = peer.OpenContext(DiscoveryService.doubler, 7)
        let stream = ctx.OpenStream<int, int>()
        let e = stream.GetAsyncEnumerator Threading.CancellationToken.None
        let doubled = ResizeArray()

        for x in [ 1; 2; 3 ] do
            do! stream.Send x
            let! _ = e.MoveNextAsync()
            doubled.Add e.Current

        do! stream.DisposeAsync()
        let! count = ctx.Result()
        let! remoteError = catchAsync (fun () -> peer.Run DiscoveryService.boom)
        let cancel = Assert.Throws<InvalidOperationException>(fun () -> peer.CancelActor() |> ignore)

        Assert.That(peer.Pid, Is.EqualTo daemonPid)
        Assert.That(greeting, Does.StartWith $"hello peer from disc-remote pid {daemonPid}")
        Assert.That(items, eq [ 0..99 ])
        Assert.That((started, List.ofSeq doubled, count), Is.EqualTo((7, [ 2; 4; 6 ], 3)))
        Assert.That(remoteError, Is.InstanceOf<RemoteActorError>())
        Assert.That(remoteError.Message, Does.Contain "boom in the service")
        Assert.That(cancel.Message, Does.Contain "peer")

        // The program ends: its actor is gone, and a call on the old portal fails at the call site.
        Assert.That(program.End(), Is.EqualTo 0, program.Stderr())
        let! late = catchAsync (fun () -> peer.Run(fun () -> DiscoveryService.greet "late"))
        let! again = findActor "disc-remote"
        Assert.That(late, Is.InstanceOf<TransportClosedError>(), $"got {late}")
        Assert.That(again.IsNone, Is.True, "unregistered when its program ended")
    }

let ``a second program finds and calls an actor of the first`` () =
    let registry = [ "TRACTOR_REGISTRY", freshRegistry () ]
    let program, daemonPid = serveIn registry "disc-svc"
    use _ = program
    let lines = findIn registry [ "disc-svc"; "disc-nobody" ]
    Assert.That(lines[0], Does.StartWith $"found disc-svc {daemonPid} hello finder from disc-svc pid {daemonPid}")
    Assert.That(lines[1], Is.EqualTo "none disc-nobody")
    Assert.That(program.End(), Is.EqualTo 0, program.Stderr())

let ``programs starting at once share one registrar, and when it ends the survivors take over and re-register`` () =
    let registry = [ "TRACTOR_REGISTRY", freshRegistry () ]
    // Three programs race for the registry address at once.
    let starting = [ for name in [ "race-a"; "race-b"; "race-c" ] -> Task.Run(fun () -> serveIn registry name) ]
    let started = starting |> List.map _.Result
    let programs = started |> List.map fst

    try
        let lines = findIn registry [ "race-a"; "race-b"; "race-c" ]

        for (name, (_, pid)), line in List.zip (List.zip [ "race-a"; "race-b"; "race-c" ] started) lines do
            Assert.That(line, Does.StartWith $"found {name} {pid} ")

        // Two end at once (SIGKILL of their roots), whichever of them was the registrar...
        for p in programs |> List.take 2 do
            p.Process.Kill()

        // ...and the last one, whether it was the registrar or not, is found by a new program.
        use waiter = new Program([ "wait"; "race-c" ], registry)
        Assert.That(waiter.Exit(), Is.EqualTo 0, waiter.Stderr())
        Assert.That(waiter.NextLine(), Does.StartWith $"found race-c {snd started[2]} ")
        Assert.That(programs[2].End(), Is.EqualTo 0, programs[2].Stderr())
    finally
        for p in programs do
            (p :> IDisposable).Dispose()

let ``when the registrar's program ends, another takes the role over and re-registers what it hosts`` (how: string) =
    let registry = [ "TRACTOR_REGISTRY", freshRegistry () ]
    // The first program is the registrar; the second connects to it.
    let first, _ = serveIn registry "handover-a"
    use _ = first
    let second, secondPid = serveIn registry "handover-b"
    use _ = second

    if how = "ends" then
        Assert.That(first.End(), Is.EqualTo 0, first.Stderr())
    else
        Assert.That(TractorNet.Spawning.Native.kill first.Process.Id TractorNet.Spawning.Native.SIGINT, Is.True)
        first.Exit() |> ignore

    use waiter = new Program([ "wait"; "handover-b" ], registry)
    Assert.That(waiter.Exit(), Is.EqualTo 0, waiter.Stderr())
    Assert.That(waiter.NextLine(), Does.StartWith $"found handover-b {secondPid} ")
    let lines = findIn registry [ "handover-a" ]
    Assert.That(lines[0], Is.EqualTo "none handover-a")
    Assert.That(second.End(), Is.EqualTo 0, second.Stderr())

let ``a program with the wrong cookie is refused, with a clear log line on both sides`` () =
    let registry = [ "TRACTOR_REGISTRY", freshRegistry () ]
    let server, _ = serveIn registry "cookie-svc"
    use _ = server
    use intruder = new Program([ "find"; "cookie-svc" ], ("TRACTOR_COOKIE", "not-the-right-cookie-at-all") :: registry)
    Assert.That(intruder.Exit(), Is.EqualTo 1, "the intruder fails")
    // The registrar refuses it ("refused this actor"); with etcd, which holds no cookie, the actor does ("refused the connection").
    Assert.That(intruder.Stderr(), Does.Contain("failed authentication").And.Contain "refused")
    Assert.That(server.End(), Is.EqualTo 0)
    Assert.That(server.Stderr(), Does.Contain "failed authentication")

let ``programs given the same cookie instead of the file find each other`` () =
    let registry = [ "TRACTOR_REGISTRY", freshRegistry (); "TRACTOR_COOKIE", "a-cookie-shared-by-programs-1234" ]
    let server, pid = serveIn registry "cookie-shared"
    use _ = server
    let lines = findIn registry [ "cookie-shared" ]
    Assert.That(lines[0], Does.StartWith $"found cookie-shared {pid} ")
    Assert.That(server.End(), Is.EqualTo 0, server.Stderr())

let ``choosing another registry after the first use of discovery is refused`` () : Task =
    task {
        let! _ = findActor "anyone"
        let e = Assert.Throws<InvalidOperationException>(fun () -> useRegistry (freshRegistry ()))
        Assert.That(e.Message, Does.Contain "before the first use of discovery")
        useRegistry (useOwnRegistry ()) // the same one again is fine
    }

/// A free TCP port on loopback (the system's pick, released again for the registry to bind).
let private freeLoopbackPort () =
    let probe = new Net.Sockets.TcpListener(Net.IPAddress.Loopback, 0)
    probe.Start()
    let port = (probe.LocalEndpoint :?> Net.IPEndPoint).Port
    probe.Stop()
    port

let ``with a registry and actors on TCP, a second program finds and calls an actor of the first`` () =
    let tcp =
        [ "TRACTOR_REGISTRY", $"tcp://127.0.0.1:{freeLoopbackPort ()}"
          "TRACTOR_LISTEN", "tcp://127.0.0.1:0" ]

    let server, pid = serveIn tcp "tcp-svc"
    use _ = server
    let lines = findIn tcp [ "tcp-svc" ]
    Assert.That(lines[0], Does.StartWith $"found tcp-svc {pid} hello finder from tcp-svc pid {pid}")
    use query = new Program([ "query"; "tcp-svc" ], tcp)
    Assert.That(query.Exit(), Is.EqualTo 0, query.Stderr())
    Assert.That(query.NextLine(), Does.StartWith "address tcp://127.0.0.1:")
    Assert.That(server.End(), Is.EqualTo 0, server.Stderr())

let ``runDaemon serves a program's root by name until Ctrl-C, then unregisters it`` () : Task =
    task {
        use program = new Program([ "daemon"; "disc-daemon" ], [])
        let! portal = (waitForActor "disc-daemon").WaitAsync(TimeSpan.FromSeconds 90.0)
        let! greeting = portal.Run(fun () -> DiscoveryService.greet "client")
        Assert.That(portal.Pid, Is.EqualTo program.Process.Id, "the program's root itself serves")
        Assert.That(greeting, Does.StartWith $"hello client from root pid {program.Process.Id}")
        Assert.That(TractorNet.Spawning.Native.kill program.Process.Id TractorNet.Spawning.Native.SIGINT, Is.True)
        Assert.That(program.Exit(), Is.EqualTo 0, program.Stderr())
        let! after = findActor "disc-daemon"
        Assert.That(after.IsNone, Is.True, "unregistered once it ended")
    }

/// Asks every worker of a cluster for a greeting; returns (name, pid, greeting) for each.
let private greetAll (portals: Collections.Generic.IReadOnlyDictionary<string, Portal>) =
    task {
        let result = ResizeArray()

        for KeyValue(name, portal) in portals do
            let! greeting = portal.Run(fun () -> DiscoveryService.greet "cluster")
            result.Add((name, portal.Pid, greeting))

        return List.ofSeq result
    }

let ``an actor cluster starts named daemons, serves through its map, and reaps them all when the scope ends`` () : Task =
    task {
        let! workers = openActorCluster ([ DiscoveryService.moduleName ], 3, greetAll)
        let names = workers |> List.map (fun (n, _, _) -> n) |> List.sort
        let pids = workers |> List.map (fun (_, p, _) -> p)
        Assert.That(names, eq [ "worker_0"; "worker_1"; "worker_2" ])
        Assert.That(List.distinct pids |> List.length, Is.EqualTo 3, "one process each")

        for name, pid, greeting in workers do
            Assert.That(greeting, Does.StartWith $"hello cluster from {name} pid {pid}")
            Assert.That(Directory.Exists $"/proc/{pid}", Is.False, $"{name} was reaped")
    }

/// Runs `dotnet tractor tree` (the tool's build output) with `env`; returns its output lines.
let private runTreeTool (env: (string * string) list) =
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add(Path.Combine(RepoPaths.outputOf "tools/Tractor.Tool", "Tractor.Tool.dll"))
    psi.ArgumentList.Add "tree"

    for k, v in env do
        psi.Environment[k] <- v

    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    Assert.That(p.WaitForExit(TimeSpan.FromSeconds 90.0), Is.True, "the tool finished")
    Assert.That(p.ExitCode, Is.EqualTo 0, err.Result)
    out.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries) |> List.ofArray

let ``the tree tool prints a running tree: each actor under its parent, with pid, host and address`` () =
    let registry = [ "TRACTOR_REGISTRY", freshRegistry () ]
    let server, daemonPid = serveIn registry "tree-svc"
    use _ = server
    let lines = runTreeTool registry
    let rootPid = server.Process.Id
    Assert.That(lines.Length, Is.EqualTo 3, String.Join("\n", lines))
    Assert.That(lines[0], Is.EqualTo $"registry {snd registry.Head}: 2 entries")
    Assert.That(lines[1], Does.StartWith($"root  pid {rootPid}  host {Environment.MachineName}  up ").And.Contain "uds://")
    Assert.That(lines[2], Does.StartWith($"└─ tree-svc  pid {daemonPid}  host {Environment.MachineName}  up ").And.Contain "tree-svc-")
    Assert.That(server.End(), Is.EqualTo 0, server.Stderr())

/// This file's tests, in file order.

/// This file's tests, in file order, each with its own registry (withRegistry).
[<Expecto.Tests>]
let tests =
    Register.tests "DiscoveryTests" [
        Register.test "a discoverable daemon is found by name, called as a peer, and unregistered when it is cancelled" (withRegistry ``a discoverable daemon is found by name, called as a peer, and unregistered when it is cancelled``)
        Register.test "an unknown name is not found and has no address" (withRegistry ``an unknown name is not found and has no address``)
        Register.test "queryActor gives the address a discoverable actor serves at" (withRegistry ``queryActor gives the address a discoverable actor serves at``)
        Register.test "waitForActor wakes on a registration that comes later" (withRegistry ``waitForActor wakes on a registration that comes later``)
        Register.test "waitForActor honours the cancellation of its scope" (withRegistry ``waitForActor honours the cancellation of its scope``)
        Register.test "a stale entry whose actor does not answer at its address is dropped at lookup" (withRegistry ``a stale entry whose actor does not answer at its address is dropped at lookup``)
        Register.test "an entry whose process has died is dropped by the registrar" (withRegistry ``an entry whose process has died is dropped by the registrar``)
        Register.test "two actors under one name: the earliest registered is found, then the next once it ends" (withRegistry ``two actors under one name: the earliest registered is found, then the next once it ends``)
        Register.test "findActor of an actor's own name gives its own portal" (withRegistry ``findActor of an actor's own name gives its own portal``)
        Register.test "two children find each other by name and talk (a trynamic first scene)" (withRegistry ``two children find each other by name and talk (a trynamic first scene)``)
        Register.test "the root of a tree is reachable from its actors with getRoot" (withRegistry ``the root of a tree is reachable from its actors with getRoot``)
        Register.test "the current actor shows the registry address it uses" (withRegistry ``the current actor shows the registry address it uses``)
        Register.test "the cookie file is made on first use, readable by this user only" (withRegistry ``the cookie file is made on first use, readable by this user only``)
        Register.test "a peer reached in another program runs calls, contexts and streams, and fails at the call site" (withRegistry ``a peer reached in another program runs calls, contexts and streams, and fails at the call site``)
        Register.test "a second program finds and calls an actor of the first" (withRegistry ``a second program finds and calls an actor of the first``)
        Register.test "programs starting at once share one registrar, and when it ends the survivors take over and re-register" (withRegistry (registrarOnly ``programs starting at once share one registrar, and when it ends the survivors take over and re-register``))
        yield! Register.cases "when the registrar's program ends, another takes the role over and re-registers what it hosts" [
            "(\"ends\")", (registrarOnly (fun () -> ``when the registrar's program ends, another takes the role over and re-registers what it hosts`` ("ends")))
            "(\"is cancelled by Ctrl-C\")", (registrarOnly (fun () -> ``when the registrar's program ends, another takes the role over and re-registers what it hosts`` ("is cancelled by Ctrl-C")))
        ]
        Register.test "a program with the wrong cookie is refused, with a clear log line on both sides" (withRegistry ``a program with the wrong cookie is refused, with a clear log line on both sides``)
        Register.test "programs given the same cookie instead of the file find each other" (withRegistry ``programs given the same cookie instead of the file find each other``)
        Register.test "choosing another registry after the first use of discovery is refused" (withRegistry ``choosing another registry after the first use of discovery is refused``)
        Register.test "with a registry and actors on TCP, a second program finds and calls an actor of the first" (withRegistry ``with a registry and actors on TCP, a second program finds and calls an actor of the first``)
        Register.test "runDaemon serves a program's root by name until Ctrl-C, then unregisters it" (withRegistry ``runDaemon serves a program's root by name until Ctrl-C, then unregisters it``)
        Register.test "an actor cluster starts named daemons, serves through its map, and reaps them all when the scope ends" (withRegistry ``an actor cluster starts named daemons, serves through its map, and reaps them all when the scope ends``)
        Register.test "the tree tool prints a running tree: each actor under its parent, with pid, host and address" (withRegistry ``the tree tool prints a running tree: each actor under its parent, with pid, host and address``)
    ]
