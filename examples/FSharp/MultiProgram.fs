/// tractor's multi-program use: two programs started separately share one registry (and the
/// per-user cookie); the second finds an actor of the first by name and calls it.
module TractorNet.Examples.MultiProgram

open System
open System.Diagnostics
open System.IO
open System.Reflection
open System.Threading.Tasks
open TractorNet

/// This module's .NET full name: what the service must enable.
let private thisModule = "TractorNet.Examples.MultiProgram"

/// What the first program's actor serves.
let increment (n: int) : Task<int> = task { return n + 1 }

/// The second program: finds "counter" (waiting for it, at most a minute) and calls it.
let private second () : Task<unit> =
    task {
        let! value =
            CancelScope.failAfter (TimeSpan.FromMinutes 1.0) (fun _ ->
                task {
                    let! counter = waitForActor "counter"
                    let! value = counter.Run(fun () -> increment 41)
                    printfn $"second program (pid {Environment.ProcessId}): 'counter' (pid {counter.Pid}, a peer: {counter.IsPeer}) says {value}"
                    return value
                })

        if value <> 42 then
            failwith $"expected 42, got {value}"
    }

/// This program again, as a separate process (`dotnet <runner>.dll multi-program --second`).
let private startSecond () =
    let psi = ProcessStartInfo(Environment.ProcessPath, UseShellExecute = false)

    if Path.GetFileNameWithoutExtension(Environment.ProcessPath) = "dotnet" then
        psi.ArgumentList.Add(Assembly.GetEntryAssembly().Location)

    psi.ArgumentList.Add "multi-program"
    psi.ArgumentList.Add "--second"
    Process.Start psi

/// The first program: serves "counter", starts the second and waits for it.
let private first () : Task<unit> =
    task {
        do!
            nursery {
                let! counter = startDiscoverableActor ("counter", [ thisModule ])
                printfn $"first program (pid {Environment.ProcessId}): 'counter' (pid {counter.Pid}) is registered"
                use other = startSecond ()
                do! other.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes 2.0)

                if other.ExitCode <> 0 then
                    failwith $"the second program failed (exit code {other.ExitCode})"

                let! _ = counter.CancelActor()
                ()
            }
    }

let example =
    { Name = "multi-program"
      Summary = "Two programs share one registry: the second finds the first's actor by name and calls it."
      Run =
        fun args ->
            match args with
            | [| "--second" |] -> second ()
            | _ -> first () }
