namespace TractorNet.Spawning

open System
open System.Diagnostics

/// Start-up phase timestamps for profiling spawns: with TRACTOR_TRACE_SPAWN=1, parent and child
/// each write `spawn-trace <pid> <phase> <ms> <process CPU ms>` lines to standard error, on the system-wide
/// monotonic clock (`Stopwatch` is CLOCK_MONOTONIC on Linux), so the two sides line up.
module internal SpawnTrace =
    let private enabled =
        Environment.GetEnvironmentVariable "TRACTOR_TRACE_SPAWN" = "1"

    let private stderr = lazy (Console.OpenStandardError())

    /// Records that `phase` was reached now.
    let mark (phase: string) =
        if enabled then
            let ms = float (Stopwatch.GetTimestamp()) * 1000.0 / float Stopwatch.Frequency
            // Invariant formatting and a raw stream: no culture data (ICU) or console set-up of
            // its own, so tracing does not add the start-up costs it measures.
            let inv = Globalization.CultureInfo.InvariantCulture
            let cpu = Environment.CpuUsage.TotalTime.TotalMilliseconds
            let line = String.Concat("spawn-trace ", Environment.ProcessId.ToString inv, " ", phase, " ", ms.ToString("F2", inv), " ", cpu.ToString("F0", inv), "\n")
            let bytes = Text.Encoding.UTF8.GetBytes line
            lock stderr (fun () -> stderr.Value.Write(bytes, 0, bytes.Length))
