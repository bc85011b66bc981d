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

/// Starts a tree (root + fanout + fanout² … processes) and waits until every actor runs: each
/// says `up <depth> <pid>` (the root's depth is `depth`). Gives the root, its standard error and
/// the actors' pids by depth. Counting processes would not do: a warm pool's idle spares are
/// processes of ours too (the suite also runs under `TRACTOR_SPAWN_METHOD=WarmPool`).
let private startTree (depth: int) (fanout: int) =
    OurProcesses.ensureMarked ()
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add(testAppDll ())

    for a in [ "tree"; string depth; string fanout ] do
        psi.ArgumentList.Add a

    let root = Process.Start psi
    let stderr = root.StandardError.ReadToEndAsync()
    let expected = 1 + Seq.sum [ for d in 1..depth -> pown fanout d ]
    let up = ResizeArray<int * int>()

    let reading =
        task {
            while up.Count < expected do
                match! root.StandardOutput.ReadLineAsync() with
                | null -> failwith "the tree's output ended"
                | line ->
                    match line.Split ' ' with
                    | [| "up"; d; pid |] -> up.Add((int d, int pid))
                    | _ -> ()
        }

    Assert.That(reading.Wait(TimeSpan.FromSeconds 60.0), Is.True, $"the tree of {expected} actors started (up: {List.ofSeq up})")
    root, stderr, (fun (d: int) -> [ for depthOf, pid in up do if depthOf = d then pid ])

let private assertAllGone () =
    let gone = eventuallyWithin (TimeSpan.FromSeconds 15.0) (fun () -> OurProcesses.list().IsEmpty)
    Assert.That(gone, Is.True, $"processes left: {OurProcesses.list ()}")

let ``SIGKILL of the root leaves no process of the tree behind`` () =
    let root, _, _ = startTree 2 2
    root.Kill()
    root.WaitForExit()
    assertAllGone ()

let ``SIGKILL of an intermediate actor ends the whole tree`` () =
    let root, stderr, atDepth = startTree 2 2
    let intermediate = atDepth 1 |> List.head
    Assert.That(parentOf intermediate, Is.EqualTo root.Id, "an intermediate actor is the root's child")
    Process.GetProcessById(intermediate).Kill()
    Assert.That(root.WaitForExit(TimeSpan.FromSeconds 30.0), Is.True, "the root ended after its child died")
    Assert.That(root.ExitCode, Is.EqualTo 1, stderr.Result)
    Assert.That(stderr.Result, Does.Contain "killed by SIGKILL")
    assertAllGone ()

let ``SIGINT at the root cancels the whole tree and reaps it`` () =
    let root, stderr, _ = startTree 2 2
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
