// Timing: batches of work measured in alternating short segments, as bench/Tractor.Bench's
// ChannelBench.interleave does, so machine noise hits a figure and its baseline alike.
using System.Diagnostics;

namespace TractorNet.Bench.Peers;

/// <summary>One batch of checked work; returns how many operations it did.</summary>
delegate Task<long> Batch();

static class Interleave
{
    static async Task<(long Ops, double Seconds)> RunFor(double seconds, Batch batch)
    {
        var sw = Stopwatch.StartNew();
        long ops = 0;
        while (sw.Elapsed.TotalSeconds < seconds)
            ops += await batch();
        return (ops, sw.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Runs both batches alternately for a few seconds first: both processes' hot paths take
    /// seconds to reach their optimised JIT tier on a 2-core machine, and the figure is the steady
    /// state. Shorter with --quick, so that `build.fsx -t Bench --quick` (18 runs) stays within 3 minutes.
    /// </summary>
    public static async Task WarmUp(bool quick, Batch a, Batch b)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < (quick ? 1.0 : 5.0))
        {
            await a();
            await b();
        }
    }

    /// <summary>Operations per second of <paramref name="a"/> and of <paramref name="b"/>, measured in alternating segments.</summary>
    public static async Task<(double A, double B)> Rates(bool quick, Batch a, Batch b)
    {
        double total = quick ? 0.7 : 3.0, segment = quick ? 0.1 : 0.25;
        await RunFor(quick ? 0.2 : 1.0, a);
        await RunFor(quick ? 0.2 : 1.0, b);
        long opsA = 0, opsB = 0;
        double timeA = 0, timeB = 0;
        while (timeA < total || timeB < total)
        {
            var (n, t) = await RunFor(segment, a);
            opsA += n;
            timeA += t;
            (n, t) = await RunFor(segment, b);
            opsB += n;
            timeB += t;
        }
        return (opsA / timeA, opsB / timeB);
    }
}
