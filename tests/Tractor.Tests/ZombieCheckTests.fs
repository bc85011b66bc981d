/// The zombie check must itself be able to fail: it sees a process this run started.
module TractorNet.Tests.ZombieCheckTests

open System
open System.Diagnostics
open NUnit.Framework
open TractorNet.Testing

let ``a process started by a test is seen as ours until it is reaped`` () =
    OurProcesses.ensureMarked ()
    use p = Process.Start(ProcessStartInfo("sleep", "30", UseShellExecute = false))
    let seen = OurProcesses.list () |> List.exists (fun o -> o.Pid = p.Id)
    p.Kill()
    p.WaitForExit()
    Assert.That(seen, Is.True, "a child of the test process carries the marker")
    Assert.That(OurProcesses.list () |> List.exists (fun o -> o.Pid = p.Id), Is.False)

let ``an orphan re-parented to init is still seen as ours`` () =
    OurProcesses.ensureMarked ()
    // sh starts sleep in the background and exits: sleep's parent becomes init (or a subreaper).
    use sh = Process.Start(ProcessStartInfo("sh", "-c \"sleep 30 & echo $!\"", UseShellExecute = false, RedirectStandardOutput = true))
    let orphan = int (sh.StandardOutput.ReadLine())
    sh.WaitForExit()
    // The pid exists from fork on, but /proc/<pid>/environ is unreadable while exec replaces the
    // image: wait (bounded) until it runs `sleep` before looking.
    let deadline = DateTime.UtcNow.AddSeconds 10.0
    let cmdline () = try System.IO.File.ReadAllText $"/proc/{orphan}/cmdline" with _ -> ""
    while not ((cmdline ()).StartsWith "sleep") && DateTime.UtcNow < deadline do
        System.Threading.Thread.Yield() |> ignore
    let seen = OurProcesses.list () |> List.exists (fun o -> o.Pid = orphan)
    OurProcesses.killAll [ { Pid = orphan; CommandLine = "" } ]
    Assert.That(seen, Is.True)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ZombieCheckTests" [
        Register.test "a process started by a test is seen as ours until it is reaped" ``a process started by a test is seen as ours until it is reaped``
        Register.test "an orphan re-parented to init is still seen as ours" ``an orphan re-parented to init is still seen as ours``
    ]
