/// Discovery benchmarks: `discovery.find` (lookups/s through a live registrar in another
/// process, beside plain calls/s over the same kind of connection) and `cluster.open` (time until
/// a cluster of one daemon per core is ready, beside one daemon's start).
module TractorNet.Bench.DiscoveryBench

open System
open System.Diagnostics
open System.IO
open System.Threading.Tasks
open TractorNet
open TractorNet.Bench.Report

let private thisModule = "TractorNet.Bench.DiscoveryBench"

/// The cheapest call: the baseline of a lookup.
let noop () : Task<int> = Task.FromResult 0

/// In a child actor (the registrar is its root, another process): `findActor name` as often as
/// it can for `seconds`, then `Run noop` on the found portal as often; [| lookups/s; calls/s |].
let measure (name: string) (seconds: float) : Task<float[]> =
    task {
        let duration = TimeSpan.FromSeconds seconds
        let! first = findActor name
        let peer = first.Value

        for _ in 1..50 do
            let! _ = findActor name
            let! _ = peer.Run noop
            ()

        let sw = Stopwatch.StartNew()
        let mutable finds = 0

        while sw.Elapsed < duration do
            let! found = findActor name
            if found.IsNone then failwith $"{name} was not found"
            finds <- finds + 1

        let findRate = float finds / sw.Elapsed.TotalSeconds
        sw.Restart()
        let mutable calls = 0

        while sw.Elapsed < duration do
            let! _ = peer.Run noop
            calls <- calls + 1

        return [| findRate; float calls / sw.Elapsed.TotalSeconds |]
    }

/// This process's registry: a fresh one, set before its first use of discovery.
let private ownRegistry =
    lazy
        (let dir = TractorNet.Ipc.UnixSocketDirectory.ensure ()
         Environment.SetEnvironmentVariable("TRACTOR_REGISTRY", $"""uds://{Path.Combine(dir, "bench-registry.sock")}"""))

let findRate (quick: bool) : Task<unit> =
    task {
        ownRegistry.Force()
        let seconds = if quick then 1.0 else 3.0

        let! rates =
            nursery {
                let! service = startDiscoverableActor ("bench-service", [ thisModule ])
                let! finder = runInActor ("bench-finder", fun () -> measure "bench-service" seconds)
                let! rates = finder.Result()
                let! _ = service.CancelActor()
                return rates
            }

        emit { Bench = "discovery.find"; Value = rates[0]; Unit = "lookups/s"; Baseline = Some rates[1] }
    }

let clusterOpen (quick: bool) : Task<unit> =
    task {
        let rounds = if quick then 2 else 5
        let cluster = ResizeArray()
        let single = ResizeArray()

        // A first round (not counted) starts the root actor and compiles the paths.
        for round in 0..rounds do
            let sw = Stopwatch.StartNew()
            let! ready = openActorCluster ([ thisModule ], fun _ -> Task.FromResult sw.Elapsed.TotalMilliseconds)
            if round > 0 then cluster.Add ready
            let sw = Stopwatch.StartNew()

            let! one =
                nursery {
                    let! d = startActor ("bench-one", [ thisModule ])
                    let elapsed = sw.Elapsed.TotalMilliseconds
                    let! _ = d.CancelActor()
                    return elapsed
                }

            if round > 0 then single.Add one

        emit { Bench = "cluster.open"; Value = median cluster; Unit = "ms"; Baseline = Some(median single) }
        eprintfn $"cluster.open: {Environment.ProcessorCount} daemons, baseline: one daemon's start"
    }

/// Starts etcd (Debian's etcd-server) on free loopback ports with a temporary data directory;
/// returns it, its client port and the directory, once it serves.
let private startEtcd () =
    let free () =
        let probe = new Net.Sockets.TcpListener(Net.IPAddress.Loopback, 0)
        probe.Start()
        let port = (probe.LocalEndpoint :?> Net.IPEndPoint).Port
        probe.Stop()
        port

    let dir = Directory.CreateTempSubdirectory "tractor-bench-etcd-"
    let client, peer = free (), free ()
    let psi = ProcessStartInfo("etcd", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)

    for a in
        [ "--name"; "bench"; "--data-dir"; dir.FullName
          "--listen-client-urls"; $"http://127.0.0.1:{client}"; "--advertise-client-urls"; $"http://127.0.0.1:{client}"
          "--listen-peer-urls"; $"http://127.0.0.1:{peer}"; "--initial-advertise-peer-urls"; $"http://127.0.0.1:{peer}"
          "--initial-cluster"; $"bench=http://127.0.0.1:{peer}" ] do
        psi.ArgumentList.Add a

    let server = Process.Start psi
    let ready = TaskCompletionSource()

    for reader in [ server.StandardOutput; server.StandardError ] do
        Task.Run(fun () ->
            let mutable line = reader.ReadLine()

            while not (isNull line) do
                if line.Contains "ready to serve client requests" then ready.TrySetResult() |> ignore
                line <- reader.ReadLine()

            ready.TrySetException(Exception "etcd ended before it was ready") |> ignore)
        |> ignore

    ready.Task.Wait(TimeSpan.FromSeconds 60.0) |> ignore
    server, client, dir

/// `discovery.find.etcd`: lookups/s of one name through the etcd backend (a range read, JSON
/// decoding, the dead-pid check), beside bare range reads of the same keys over the same
/// connection. Skipped (a line on stderr) where etcd is not installed.
let etcdFindRate (quick: bool) : Task<unit> =
    task {
        if not (File.Exists "/usr/bin/etcd") then
            eprintfn "discovery.find.etcd: skipped, etcd is not installed (apt-get install etcd-server)"
        else
            let server, port, dir = startEtcd ()

            try
                let seconds = TimeSpan.FromSeconds(if quick then 1.0 else 3.0)
                let backend = TractorNet.Discovery.Etcd.EtcdBackend $"etcd://127.0.0.1:{port}/bench"
                let registry = backend :> TractorNet.Discovery.IRegistry

                do!
                    registry.Register
                        { Name = "bench-service"; Uid = Guid.NewGuid().ToString "N"; Pid = Environment.ProcessId
                          Address = "uds:///nowhere"; Parent = ""; Host = Environment.MachineName; Registered = 0L }

                let rate (f: unit -> Task) =
                    task {
                        for _ in 1..50 do
                            do! f ()

                        let sw = Stopwatch.StartNew()
                        let mutable n = 0

                        while sw.Elapsed < seconds do
                            do! f ()
                            n <- n + 1

                        return float n / sw.Elapsed.TotalSeconds
                    }

                let! lookups = rate (fun () -> registry.Lookup "bench-service" :> Task)
                let! reads = rate (fun () -> backend.RawRange "bench-service")
                backend.Close()
                emit { Bench = "discovery.find.etcd"; Value = lookups; Unit = "lookups/s"; Baseline = Some reads }
                eprintfn "discovery.find.etcd: registry lookups against a local etcd; baseline: bare etcd range reads of the same keys"
            finally
                server.Kill true
                server.WaitForExit()
                dir.Delete true
    }

/// The discovery scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list =
    [ "discovery.find", findRate; "discovery.find.etcd", etcdFindRate; "cluster.open", clusterOpen ]
