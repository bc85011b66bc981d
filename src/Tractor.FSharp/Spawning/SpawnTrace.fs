namespace TractorNet.Spawning

open System
open System.Diagnostics

/// Start-up phase timestamps for profiling spawns: with TRACTOR_TRACE_SPAWN=1, parent and child
/// each write `spawn-trace <pid> <phase> <ms> <process CPU ms>` lines to standard error, on the system-wide
/// monotonic clock (`Stopwatch` is CLOCK_MONOTONIC on Linux), so the two sides line up.
module internal SpawnTrace =
    let private enabled =
        Environment.GetEnvironmentVariable "TRACTOR_TRACE_SPAWN" = "1"

    /// Records that `phase` was reached now.
    let mark (phase: string) =
        if enabled then
            let ms = float (Stopwatch.GetTimestamp()) * 1000.0 / float Stopwatch.Frequency
            let cpu = Environment.CpuUsage.TotalTime.TotalMilliseconds
            Console.Error.WriteLine(String.Concat("spawn-trace ", string Environment.ProcessId, " ", phase, " ", ms.ToString "F2", " ", cpu.ToString "F0"))
