/// The root actor in a Generic Host from F#: services.AddTractor runs it as a hosted service; stopping the host
/// cancels the tree and waits until it is reaped.
module TractorNet.Tests.HostingTests

open System
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open Microsoft.Extensions.Hosting
open NUnit.Framework
open TractorNet
open TractorNet.Hosting

/// Waits until cancelled.
let hangHere () : Task<int> =
    task {
        do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
        return 0
    }

let private alive (pid: int) =
    try
        use p = Process.GetProcessById pid
        not p.HasExited
    with :? ArgumentException ->
        false

let ``stopping the host cancels the tree and waits until it is reaped`` () : Task =
    task {
        let started = TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)
        let builder = Host.CreateApplicationBuilder()

        builder.Services.AddTractor(
            (fun n _ ->
                task {
                    let! p = n.StartActor("fsharp_hosted", [| "TractorNet.Tests.HostingTests" |])
                    started.SetResult p.Pid
                    do! Task.Delay(Timeout.Infinite, n.Token)
                }
                :> Task),
            (fun o -> o.UseHostLogging <- false)
        )
        |> ignore

        use host = builder.Build()
        do! host.StartAsync()
        let! pid = started.Task.WaitAsync(TimeSpan.FromMinutes 2.0)
        Assert.That(alive pid, Is.True)
        do! host.StopAsync()
        Assert.That(alive pid, Is.False, "the actor was reaped before StopAsync returned")
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "HostingTests" [
        Register.test "stopping the host cancels the tree and waits until it is reaped" ``stopping the host cancels the tree and waits until it is reaped``
    ]
