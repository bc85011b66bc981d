/// CPU starvation beside a test: busy-loop processes competing for the cores with the actors
/// under test (like a parallel build on the same machine). Races that a quiet machine hides —
/// a process still starting when its parent dies — open wide under it.
module TractorNet.Tests.CpuLoad

open System
open System.Diagnostics
open System.Threading
open TractorNet.Testing

/// Starts `loops` busy-loop processes (`sh -c 'while :; do :; done'`) and returns what stops
/// them; 0 starts none. They do not carry this run's marker (the zombie check does not count
/// them) and are started from a thread of their own that lives as long as they should: they
/// hold PR_SET_PDEATHSIG (setpriv), so they die with that thread, or with the test process
/// killed outright.
let start (loops: int) : IDisposable =
    if loops <= 0 then
        { new IDisposable with
            member _.Dispose() = () }
    else
        let started = new ManualResetEventSlim()
        let stop = new ManualResetEventSlim()
        let mutable failure: exn = null

        let owner =
            Thread(
                (fun () ->
                    let procs = ResizeArray<Process>()

                    try
                        try
                            for _ in 1..loops do
                                let psi = ProcessStartInfo("/usr/bin/setpriv", UseShellExecute = false)

                                for a in [ "--pdeathsig"; "KILL"; "--"; "/bin/sh"; "-c"; "while :; do :; done" ] do
                                    psi.ArgumentList.Add a

                                psi.Environment.Remove OurProcesses.MarkerVariable |> ignore
                                procs.Add(Process.Start psi)
                        with e ->
                            failure <- e

                        started.Set()
                        stop.Wait()
                    finally
                        for p in procs do
                            try
                                p.Kill()
                                p.WaitForExit()
                                p.Dispose()
                            with _ ->
                                ()),
                IsBackground = true,
                Name = "cpu-load"
            )

        owner.Start()
        started.Wait()

        if not (isNull failure) then
            stop.Set()
            owner.Join()
            raise (InvalidOperationException("could not start the busy loops", failure))

        { new IDisposable with
            member _.Dispose() =
                stop.Set()
                owner.Join() }

/// The busy loops the `TRACTOR_FUZZ_LOAD` environment variable asks for (0 when unset).
let fromEnvironment () =
    match Environment.GetEnvironmentVariable "TRACTOR_FUZZ_LOAD" with
    | null
    | "" -> 0
    | n -> int n
