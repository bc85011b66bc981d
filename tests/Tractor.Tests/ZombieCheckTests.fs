/// The zombie check must itself be able to fail: it sees a process this run started.
module TractorNet.Tests.ZombieCheckTests

open System.Diagnostics
open NUnit.Framework
open TractorNet.Testing

[<Test>]
let ``a process started by a test is seen as ours until it is reaped`` () =
    OurProcesses.ensureMarked ()
    use p = Process.Start(ProcessStartInfo("sleep", "30", UseShellExecute = false))
    let seen = OurProcesses.list () |> List.exists (fun o -> o.Pid = p.Id)
    p.Kill()
    p.WaitForExit()
    Assert.That(seen, Is.True, "a child of the test process carries the marker")
    Assert.That(OurProcesses.list () |> List.exists (fun o -> o.Pid = p.Id), Is.False)

[<Test>]
let ``an orphan re-parented to init is still seen as ours`` () =
    OurProcesses.ensureMarked ()
    // sh starts sleep in the background and exits: sleep's parent becomes init (or a subreaper).
    use sh = Process.Start(ProcessStartInfo("sh", "-c \"sleep 30 & echo $!\"", UseShellExecute = false, RedirectStandardOutput = true))
    let orphan = int (sh.StandardOutput.ReadLine())
    sh.WaitForExit()
    let seen = OurProcesses.list () |> List.exists (fun o -> o.Pid = orphan)
    OurProcesses.killAll [ { Pid = orphan; CommandLine = "" } ]
    Assert.That(seen, Is.True)

