/// Two hosts for real on one machine: two network namespaces joined by a veth pair with private
/// addresses, made and removed by the test (it needs root; it skips with a clear message where
/// it lacks the rights). Everything travels over TCP on that private link: the registry, the
/// authenticated handshake, calls, a stream and a cancellation.
module TractorNet.Tests.CrossHostTests

open System
open System.Diagnostics
open NUnit.Framework
open TractorNet.Tests.DiscoverySupport

/// Runs `ip <args>`; returns its exit code and standard error.
let private ip (args: string list) =
    let psi = ProcessStartInfo("ip", UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true)

    for a in args do
        psi.ArgumentList.Add a

    use p = Process.Start psi
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, err

let private ipOrFail (args: string list) =
    let code, err = ip args
    Assert.That(code, Is.EqualTo 0, $"ip {String.Join(' ', args)}: {err}")

/// Two network namespaces, `A` at 10.231.<n>.1 and `B` at 10.231.<n>.2 on a /30 veth link of
/// their own (no route anywhere else), removed with their link when disposed.
type private TwoHosts() =
    let tag = Guid.NewGuid().ToString("N").Substring(0, 6)
    let subnet = Random.Shared.Next(1, 250)
    let nsA, nsB = $"tractor-a-{tag}", $"tractor-b-{tag}"
    let created = Collections.Generic.List<string>()

    member _.AddressA = $"10.231.{subnet}.1"
    member _.AddressB = $"10.231.{subnet}.2"
    /// The command prefix that runs a program on host A (`ip netns exec` execs it in place).
    member _.OnA = [ "ip"; "netns"; "exec"; nsA ]
    member _.OnB = [ "ip"; "netns"; "exec"; nsB ]

    member this.Create() =
        let code, err = ip [ "netns"; "add"; nsA ]

        if code <> 0 then
            Assert.Ignore $"cannot create network namespaces here (needs root and CAP_SYS_ADMIN): {err.Trim()}"

        created.Add nsA
        ipOrFail [ "netns"; "add"; nsB ]
        created.Add nsB
        let vethA, vethB = $"tva{tag}", $"tvb{tag}"
        ipOrFail [ "link"; "add"; vethA; "type"; "veth"; "peer"; "name"; vethB ]
        ipOrFail [ "link"; "set"; vethA; "netns"; nsA ]
        ipOrFail [ "link"; "set"; vethB; "netns"; nsB ]

        for ns, dev, address in [ nsA, vethA, this.AddressA; nsB, vethB, this.AddressB ] do
            ipOrFail [ "-n"; ns; "addr"; "add"; $"{address}/30"; "dev"; dev ]
            ipOrFail [ "-n"; ns; "link"; "set"; dev; "up" ]
            ipOrFail [ "-n"; ns; "link"; "set"; "lo"; "up" ]

    interface IDisposable with
        member _.Dispose() =
            // Deleting a namespace deletes the veth end inside it, and with it the pair.
            for ns in created do
                ip [ "netns"; "del"; ns ] |> ignore

let ``across two hosts, a program finds a daemon by name, streams from it over TCP, and its cancellation crosses the link`` () =
    use hosts = new TwoHosts()
    hosts.Create()
    let cookie = "TRACTOR_COOKIE", $"cross-host-{Guid.NewGuid():N}"
    let registry = "TRACTOR_REGISTRY", $"tcp://{hosts.AddressA}:4791"
    let onA = [ registry; cookie; "TRACTOR_LISTEN", $"tcp://{hosts.AddressA}:0" ]
    let onB = [ registry; cookie; "TRACTOR_LISTEN", $"tcp://{hosts.AddressB}:0" ]
    // Host A: the registrar (the first root on the registry address) and the daemon.
    use server = new Program([ "serve"; "far-svc" ], onA, hosts.OnA)
    let ready = server.NextLine()
    Assert.That(ready, Does.StartWith "ready far-svc ", server.Stderr())
    let daemonPid = int (ready.Split(' ')[2])

    use query = new Program([ "query"; "far-svc" ], onB, hosts.OnB)
    Assert.That(query.Exit(), Is.EqualTo 0, query.Stderr())
    Assert.That(query.NextLine(), Does.StartWith $"address tcp://{hosts.AddressA}:", "host B sees the daemon's address on host A")

    use finder = new Program([ "find"; "far-svc" ], onB, hosts.OnB)
    Assert.That(finder.Exit(), Is.EqualTo 0, finder.Stderr())
    Assert.That(finder.NextLine(), Does.StartWith $"found far-svc {daemonPid} hello finder from far-svc pid {daemonPid}")

    use remote = new Program([ "remote"; "far-svc" ], onB, hosts.OnB)
    Assert.That(remote.Exit(), Is.EqualTo 0, remote.Stderr())
    Assert.That(remote.NextLine(), Is.EqualTo $"streamed {List.sum [ 0..999 ]}")
    Assert.That(remote.NextLine(), Is.EqualTo "cancel seen True", "host B's cancel reached the context on host A")

    // A program on host B without the tree's secret is refused by the registrar on host A.
    let wrong = [ registry; "TRACTOR_COOKIE", "not-the-secret-of-this-tree"; "TRACTOR_LISTEN", $"tcp://{hosts.AddressB}:0" ]
    use outsider = new Program([ "find"; "far-svc" ], wrong, hosts.OnB)
    Assert.That(outsider.Exit(), Is.Not.EqualTo 0, "refused")
    Assert.That(outsider.Stderr(), Does.Contain("failed authentication").And.Contain "refused this actor")
    Assert.That(server.End(), Is.EqualTo 0, server.Stderr())
    Assert.That(server.Stderr(), Does.Contain "failed authentication", "the registrar's side logs the refusal too")

/// This file's tests.
[<Expecto.Tests>]
let tests =
    Register.tests "CrossHostTests" [
        Register.test "across two hosts, a program finds a daemon by name, streams from it over TCP, and its cancellation crosses the link" ``across two hosts, a program finds a daemon by name, streams from it over TCP, and its cancellation crosses the link``
    ]
