/// No process of ours outlives its tree: not when the root or an intermediate actor is
/// SIGKILLed, not on Ctrl-C. The root is a separate program (Tractor.TestApp) so the test can
/// signal it.
module TractorNet.Tests.ZombieSafetyTests

open System
open System.Diagnostics
open System.IO
open System.Threading
open NUnit.Framework
open TractorNet.Testing

let private parentOf (pid: int) =
    try
        let stat = File.ReadAllText $"/proc/{pid}/stat"
        int (stat.Substring(stat.LastIndexOf ')' + 2).Split(' ')[1])
    with _ ->
        -1

/// Starts a tree (root + fanout + fanout² … processes) and waits until every actor runs.
let private startTree (depth: int) (fanout: int) =
    OurProcesses.ensureMarked ()
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardError = true)
    psi.ArgumentList.Add(testAppDll ())

    for a in [ "tree"; string depth; string fanout ] do
        psi.ArgumentList.Add a

    let root = Process.Start psi
    let stderr = root.StandardError.ReadToEndAsync()
    let expected = 1 + Seq.sum [ for d in 1..depth -> pown fanout d ]
    let started = eventuallyWithin (TimeSpan.FromSeconds 60.0) (fun () -> OurProcesses.list().Length >= expected)
    Assert.That(started, Is.True, $"the tree of {expected} processes started")
    root, stderr

let private assertAllGone () =
    let gone = eventuallyWithin (TimeSpan.FromSeconds 15.0) (fun () -> OurProcesses.list().IsEmpty)
    Assert.That(gone, Is.True, $"processes left: {OurProcesses.list ()}")

let ``SIGKILL of the root leaves no process of the tree behind`` () =
    let root, _ = startTree 2 2
    root.Kill()
    root.WaitForExit()
    assertAllGone ()

let ``SIGKILL of an intermediate actor ends the whole tree`` () =
    let root, stderr = startTree 2 2
    let intermediate = OurProcesses.list () |> List.find (fun p -> parentOf p.Pid = root.Id)
    Process.GetProcessById(intermediate.Pid).Kill()
    Assert.That(root.WaitForExit(TimeSpan.FromSeconds 30.0), Is.True, "the root ended after its child died")
    Assert.That(root.ExitCode, Is.EqualTo 1, stderr.Result)
    Assert.That(stderr.Result, Does.Contain "killed by SIGKILL")
    assertAllGone ()

let ``SIGINT at the root cancels the whole tree and reaps it`` () =
    let root, stderr = startTree 2 2
    Assert.That(TractorNet.Spawning.Native.kill root.Id TractorNet.Spawning.Native.SIGINT, Is.True)
    Assert.That(root.WaitForExit(TimeSpan.FromSeconds 30.0), Is.True, "the root ended after Ctrl-C")
    Assert.That(root.ExitCode, Is.EqualTo 130, stderr.Result)
    assertAllGone ()

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ZombieSafetyTests" [
        Register.test "SIGKILL of the root leaves no process of the tree behind" ``SIGKILL of the root leaves no process of the tree behind``
        Register.test "SIGKILL of an intermediate actor ends the whole tree" ``SIGKILL of an intermediate actor ends the whole tree``
        Register.test "SIGINT at the root cancels the whole tree and reaps it" ``SIGINT at the root cancels the whole tree and reaps it``
    ]
