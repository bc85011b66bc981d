// The sender's side of the one-way scenario's acknowledgement window.
namespace TractorNet.Bench.Peers;

/// <summary>
/// The receiver's cumulative acknowledgements as the sender sees them: a sender may have at most
/// <see cref="Size"/> messages not yet acknowledged. The receiver acknowledges every
/// <see cref="AckEvery"/> messages (a quarter of the window, as our streams grant credit), so the
/// sender still has room while an acknowledgement travels. A receiver that sees a message out of
/// order reports a failure instead; a message lost shows as an acknowledgement that never comes.
/// </summary>
sealed class AckWindow
{
    public const int Size = 1024;
    public const int AckEvery = Size / 4;

    /// <summary>
    /// Fault injection to check the bench's refusal: with TRACTOR_BENCH_PEERS_FAULT=lose the sender
    /// leaves out one message of every run (as if the transport lost it); the run must fail.
    /// </summary>
    static readonly bool LoseOne = Environment.GetEnvironmentVariable("TRACTOR_BENCH_PEERS_FAULT") == "lose";

    /// <summary>How long a sender waits for the next acknowledgement before it calls the run failed.</summary>
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    readonly object gate = new();
    long acked;                       // guarded by gate (read without it through Volatile)
    string? failure;                  // guarded by gate
    TaskCompletionSource? waiter;     // guarded by gate: completed at the next acknowledgement or failure
    long next;                        // the sender's own: messages sent so far (the next one's number)

    /// <summary>Messages acknowledged so far.</summary>
    public long Acked => Volatile.Read(ref acked);

    /// <summary>The receiver acknowledged <paramref name="count"/> messages in all.</summary>
    public void Ack(long count)
    {
        TaskCompletionSource? w;
        lock (gate)
        {
            if (count < acked)
                failure ??= $"acknowledgement went back from {acked} to {count}";
            else
                acked = count;
            (w, waiter) = (waiter, null);
        }
        w?.TrySetResult();
    }

    /// <summary>The run failed (the receiver saw a message out of order, or a message was dropped).</summary>
    public void Fail(string reason)
    {
        TaskCompletionSource? w;
        lock (gate)
        {
            failure ??= reason;
            (w, waiter) = (waiter, null);
        }
        w?.TrySetResult();
    }

    /// <summary>Waits until at least <paramref name="target"/> messages are acknowledged; throws on failure or when none comes in time.</summary>
    public async ValueTask WaitFor(long target)
    {
        while (true)
        {
            Task signal;
            lock (gate)
            {
                if (failure is not null) throw new InvalidOperationException(failure);
                if (acked >= target) return;
                waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = waiter.Task;
            }
            try
            {
                await signal.WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException($"no acknowledgement for {Patience.TotalSeconds} s: {Acked} of {target} messages acknowledged (a message was lost)");
            }
        }
    }

    /// <summary>
    /// One run: sends numbered messages with <paramref name="send"/>, never more than the window
    /// ahead of the acknowledgements, in chunks of <see cref="Chunk"/> until <see cref="RunTime"/>
    /// has passed, then waits until the receiver has acknowledged every one of them (so a run
    /// counts only messages the receiver has counted). Returns how many it sent.
    /// </summary>
    public async Task<long> SendRun(Action<long> send)
    {
        long first = next;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            for (long end = next + Chunk; next < end; next++)
            {
                if (next - Acked >= Size)
                    await WaitFor(next - Size + 1);
                if (!(LoseOne && next == first + Chunk / 2))
                    send(next);
            }
        } while (clock.Elapsed < RunTime);
        await WaitFor(next);
        return next - first;
    }

    /// <summary>Messages sent between two looks at the clock (a multiple of the acknowledgement interval).</summary>
    const long Chunk = 8 * AckEvery;

    /// <summary>
    /// A run's length: short enough for the interleaved segments, long enough that the drain at
    /// its end (one acknowledgement's trip with the window emptying) costs the figure little.
    /// </summary>
    static readonly TimeSpan RunTime = TimeSpan.FromMilliseconds(50);
}

/// <summary>The receiver's side: checks that messages come in order and says when to acknowledge.</summary>
sealed class AckCounter
{
    long expected;

    /// <summary>Messages received so far.</summary>
    public long Count => expected;

    /// <summary>
    /// Takes message <paramref name="seq"/>: null when nothing is to be sent back, the count to
    /// acknowledge, or (as an error) a failure to report.
    /// </summary>
    public (long? Ack, string? Error) Receive(long seq)
    {
        if (seq != expected)
            return (null, $"message {seq} arrived when {expected} was expected");
        expected++;
        return (expected % AckWindow.AckEvery == 0 ? expected : null, null);
    }
}
