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
    /// Runs both batches alternately until both processes' JIT has gone quiet (below): the figure
    /// is the steady state. The peers' libraries are plain IL (ours is ReadyToRun-compiled by our build),
    /// and on a 2-core machine their hot paths take 3-7 s of load to reach the optimised tier
    /// (Proto.Actor's requests ran at 2-3 k/s after the 1 s warm-up this used to be, 9-11 k/s
    /// once tiered up). Methods compiled are counted in this process and the server's
    /// (<paramref name="compiledMethods"/>, both summed); the warm-up lasts at least 2 s (5 s without
    /// --quick) and at most <see cref="MaxWarmUpQuick"/> s (<see cref="MaxWarmUp"/>). Returns the
    /// warm-up's length and whether the JIT went quiet within it.
    /// </summary>
    public static async Task<(double Seconds, bool Quiet)> WarmUp(bool quick, Batch a, Batch b, Func<Task<long>> compiledMethods)
    {
        var sw = Stopwatch.StartNew();
        double least = quick ? 2.0 : 5.0, most = quick ? MaxWarmUpQuick : MaxWarmUp;
        // (time, compiled methods so far) samples, oldest first.
        var samples = new Queue<(double At, long Count)>();
        long peak = 0; // the most methods compiled in one window so far
        while (true)
        {
            await RunFor(0.1, a);
            await b();
            double now = sw.Elapsed.TotalSeconds;
            long count = await compiledMethods();
            samples.Enqueue((now, count));
            while (samples.Count > 1 && now - samples.Peek().At > QuietSeconds)
                samples.Dequeue();
            var (since, then) = samples.Peek();
            if (Trace) Console.Error.WriteLine($"warm-up {now:F2} s: {count - then} methods compiled in the last {now - since:F2} s");
            bool full = now - since >= QuietSeconds * 0.9;
            if (full) peak = Math.Max(peak, count - then);
            bool quiet = full && count - then < Math.Max(QuietMethods, peak * QuietFraction);
            if (now >= least && quiet) return (now, true);
            if (now >= most) return (now, false);
        }
    }

    /// <summary>
    /// The JIT counts as quiet when, in the last <see cref="QuietSeconds"/>, it compiled fewer
    /// methods than a tenth of its busiest such window (and fewer than 5 when it was never busy):
    /// after the bulk of the tier-ups a tail of a few dozen methods a second goes on for many
    /// seconds (rarely called paths reaching their call counts), which moves no figure.
    /// </summary>
    const int QuietMethods = 5;
    const double QuietFraction = 0.1;
    const double QuietSeconds = 1.0;
    const double MaxWarmUpQuick = 10.0, MaxWarmUp = 30.0;

    /// <summary>With TRACTOR_BENCH_PEERS_TRACE=1 the warm-up writes its JIT counts to standard error.</summary>
    static readonly bool Trace = Environment.GetEnvironmentVariable("TRACTOR_BENCH_PEERS_TRACE") == "1";

    /// <summary>Methods JIT-compiled so far in this process (every tier).</summary>
    public static long CompiledMethods() => System.Runtime.JitInfo.GetCompiledMethodCount();

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
