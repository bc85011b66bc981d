namespace TractorNet

#nowarn "9" "51" // a pointer to a local timespec is passed to clock_gettime

open System
open System.Diagnostics

/// Start-up phase timestamps for profiling spawns: with TRACTOR_TRACE_SPAWN=1, parent and child
/// each write `spawn-trace <pid> <phase> <ms> <process CPU ms> <this thread's CPU ms> <methods JIT-compiled so far>` lines to standard error, on the system-wide
/// monotonic clock (`Stopwatch` is CLOCK_MONOTONIC on Linux), so the two sides line up.
/// Marks are buffered and written by `flush` (or a mark with `andFlush`): formatting and writing
/// the first line costs a fresh process ~10 ms, which would otherwise land inside the phases.
module internal SpawnTrace =
    let private enabled =
        Environment.GetEnvironmentVariable "TRACTOR_TRACE_SPAWN" = "1"

    [<Struct; Runtime.InteropServices.StructLayout(Runtime.InteropServices.LayoutKind.Sequential)>]
    type private Timespec = { Sec: int64; Nsec: int64 }

    [<Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")>]
    extern int private clock_gettime(int clock, nativeint ts)

    /// This thread's CPU time (CLOCK_THREAD_CPUTIME_ID), ms.
    let private threadCpuMs () =
        let mutable ts = { Sec = 0L; Nsec = 0L }
        clock_gettime (3, NativeInterop.NativePtr.toNativeInt &&ts) |> ignore
        float ts.Sec * 1000.0 + float ts.Nsec / 1e6

    // Only when tracing: building the list JIT-compiles its constructors, in every child.
    let private marks =
        if enabled then Collections.Generic.List<struct (string * int64 * TimeSpan * float * int64)>() else null

    /// Writes the buffered marks.
    let flush () =
        if enabled then
            let lines =
                lock marks (fun () ->
                    let inv = Globalization.CultureInfo.InvariantCulture
                    let pid = Environment.ProcessId.ToString inv

                    let text =
                        String.Join(
                            "",
                            marks
                            |> Seq.map (fun struct (phase, ts, cpu, threadCpu, jitted) ->
                                let ms = float ts * 1000.0 / float Stopwatch.Frequency
                                String.Concat("spawn-trace ", pid, " ", phase, " ", ms.ToString("F2", inv), " ", cpu.TotalMilliseconds.ToString("F0", inv), " ", threadCpu.ToString("F2", inv), " ", jitted.ToString inv, "\n"))
                        )

                    marks.Clear()
                    text)

            let bytes = Text.Encoding.UTF8.GetBytes lines
            use stderr = Console.OpenStandardError()
            stderr.Write(bytes, 0, bytes.Length)

    /// Records that `phase` was reached now.
    let mark (phase: string) =
        if enabled then
            let ts = Stopwatch.GetTimestamp()
            let cpu = Environment.CpuUsage.TotalTime
            let threadCpu = threadCpuMs ()
            let jitted = Runtime.JitInfo.GetCompiledMethodCount false
            lock marks (fun () -> marks.Add(struct (phase, ts, cpu, threadCpu, jitted)))

    /// Records that `phase` was reached now, then writes the buffered marks.
    let markAndFlush (phase: string) =
        mark phase
        flush ()
