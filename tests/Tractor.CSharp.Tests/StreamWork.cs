using System.Collections.Concurrent;

namespace TractorNet.CSharp.Tests;

/// <summary>
/// Context and stream functions the streaming tests run in child processes, with a per-process event log the tests
/// read back (<see cref="Events"/>) to see how the callee's side ended.
/// </summary>
public static class StreamWork
{
    static readonly ConcurrentQueue<string> Log = new();
    static int sent;

    static void Note(string e) => Log.Enqueue(e);

    /// <summary>Everything noted in this actor so far.</summary>
    public static Task<string[]> Events() => Task.FromResult(Log.ToArray());

    /// <summary>How many items the last producer sent so far.</summary>
    public static Task<int> SentCount() => Task.FromResult(Volatile.Read(ref sent));

    /// <summary>Runs <paramref name="body"/>, noting "name:cancelled" if it ends by cancellation.</summary>
    static async Task<T> Traced<T>(string name, Func<Task<T>> body)
    {
        try
        {
            return await body();
        }
        catch (OperationCanceledException)
        {
            Note($"{name}:cancelled");
            throw;
        }
    }

    // ---- context functions ----

    /// <summary>The seed's ping-pong server: Started(start + 1), a pong for every ping; returns the count.</summary>
    public static async Task<int> PingPong(Context<int> ctx, int start)
    {
        await ctx.Started(start + 1);
        await using var stream = ctx.OpenStream<string, string>();
        var count = 0;
        await foreach (var msg in stream)
        {
            if (msg != "ping") throw new InvalidOperationException($"expected ping, got {msg}");
            await stream.Send("pong");
            count++;
        }
        return count;
    }

    /// <summary>Echoes every item back with <paramref name="prefix"/>, <paramref name="times"/> times each; returns nothing.</summary>
    public static async Task Echo(Context<string> ctx, string prefix, int times)
    {
        await ctx.Started(prefix);
        await using var stream = ctx.OpenStream<string, string>();
        await foreach (var msg in stream)
            for (var i = 0; i < times; i++)
                await stream.Send(prefix + msg);
    }

    /// <summary>Calls Started twice (the second call throws).</summary>
    public static async Task<int> StartTwice(Context<int> ctx)
    {
        await ctx.Started(1);
        await ctx.Started(2);
        return 0;
    }

    /// <summary>Sends 0..count-1, then throws.</summary>
    public static async Task<string> ProduceThenFail(Context<int> ctx, int count)
    {
        await ctx.Started(count);
        await using var stream = ctx.OpenStream<int, int>();
        for (var i = 0; i < count; i++) await stream.Send(i);
        throw new InvalidOperationException($"failed after {count} items");
    }

    /// <summary>Sends 0..count-1 (counting them in <see cref="SentCount"/>), then returns "sent" (traced as "producer").</summary>
    public static Task<string> Produce(Context<int> ctx, int count) =>
        Traced("producer", async () =>
        {
            await ctx.Started(count);
            await using var stream = ctx.OpenStream<int, int>();
            for (var i = 0; i < count; i++)
            {
                await stream.Send(i);
                Volatile.Write(ref sent, i + 1);
            }
            return "sent";
        });

    /// <summary>Sends 0..count-1, then waits for cancellation (traced as "producer").</summary>
    public static Task<string> ProduceThenHang(Context<int> ctx, int count) =>
        Traced("producer", async () =>
        {
            await ctx.Started(count);
            await using var stream = ctx.OpenStream<int, int>();
            for (var i = 0; i < count; i++) await stream.Send(i);
            await Task.Delay(Timeout.Infinite, ctx.Token);
            return "sent";
        });

    /// <summary>Starts with 7, then waits for cancellation (traced as "afterStarted").</summary>
    public static Task<int> StartThenHang(Context<int> ctx) =>
        Traced("afterStarted", async () =>
        {
            await ctx.Started(7);
            await Task.Delay(Timeout.Infinite, ctx.Token);
            return 0;
        });

    /// <summary>Cancels its own context after Started.</summary>
    public static async Task<int> CancelSelf(Context<int> ctx)
    {
        await ctx.Started(1);
        ctx.Cancel();
        await Task.Delay(Timeout.Infinite, ctx.Token);
        return 0;
    }

    /// <summary>Sends 0..count-1, waits for its context's end (noting "sender:cancelled"), then tries one more send
    /// and notes what it threw ("sender:&lt;type&gt;").</summary>
    public static async Task<int> SendThenWait(Context<int> ctx, int count)
    {
        await ctx.Started(count);
        await using var stream = ctx.OpenStream<int, int>();
        for (var i = 0; i < count; i++) await stream.Send(i);
        try
        {
            await Task.Delay(Timeout.Infinite, ctx.Token);
        }
        catch (OperationCanceledException)
        {
            Note("sender:cancelled");
        }
        try
        {
            await stream.Send(count);
            Note("sender:sent again");
        }
        catch (Exception e)
        {
            Note($"sender:{e.GetType().Name}");
        }
        return count;
    }

    static readonly TaskCompletionSource Released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets <see cref="OpenWhenReleased"/> open its stream (a call on the same connection: every item the
    /// caller sent before it has reached the context already).</summary>
    public static Task<bool> Release() => Task.FromResult(Released.TrySetResult());

    /// <summary>Starts, waits for <see cref="Release"/> (or its context's end, traced as "late") before it opens its
    /// stream, then sums the caller's items until the caller stops.</summary>
    public static Task<int> OpenWhenReleased(Context<int> ctx) =>
        Traced("late", async () =>
        {
            await ctx.Started(0);
            await Released.Task.WaitAsync(ctx.Token);
            await using var stream = ctx.OpenStream<int, int>();
            var sum = 0;
            await foreach (var x in stream) sum += x;
            return sum;
        });

    // ---- one-way stream functions (C# async iterators) ----

    /// <summary>first, first+1, ... (count items), counting them in <see cref="SentCount"/>.</summary>
    public static async IAsyncEnumerable<int> Count(int first, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return first + i;
            Volatile.Write(ref sent, i + 1);
        }
    }

    /// <summary>0, 1, ... (count items) without waiting, except once every <paramref name="pauseEvery"/> items:
    /// runs of items ready at once. Counts them in <see cref="SentCount"/>.</summary>
    public static async IAsyncEnumerable<int> FastCount(int count, int pauseEvery)
    {
        for (var i = 0; i < count; i++)
        {
            yield return i;
            Volatile.Write(ref sent, i + 1);
            if ((i + 1) % pauseEvery == 0) await Task.Yield();
        }
    }

    /// <summary>The content of blob <paramref name="index"/> of <paramref name="size"/> bytes.</summary>
    public static byte[] BlobOf(int index, int size)
    {
        var b = new byte[size];
        for (var j = 0; j < size; j++) b[j] = (byte)((index * 31 + j) % 251);
        return b;
    }

    /// <summary><see cref="BlobOf"/> of each size in turn.</summary>
    public static async IAsyncEnumerable<byte[]> Blobs(int[] sizes)
    {
        for (var i = 0; i < sizes.Length; i++)
        {
            if (i % 4 == 0) await Task.Yield();
            yield return BlobOf(i, sizes[i]);
        }
    }

    /// <summary>An endless stream that notes "generator:cancelled" when it is cancelled and "generator:disposed"
    /// when it ends, whichever way.</summary>
    public static async IAsyncEnumerable<long> Endless()
    {
        var i = 0L;
        try
        {
            while (true)
            {
                yield return i++;
                // Between items the generator sees the call's cancellation through the ambient scope.
                await Task.Delay(1, CancelScope.CurrentToken);
            }
        }
        finally
        {
            if (CancelScope.CurrentToken.IsCancellationRequested) Note("generator:cancelled");
            Note("generator:disposed");
        }
    }

    /// <summary>Yields <paramref name="count"/> words, then throws.</summary>
    public static async IAsyncEnumerable<string> WordsThenFail(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return $"w{i}";
        }
        throw new InvalidOperationException("generator failed");
    }

    static readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets <see cref="Gated"/> go on past its first items.</summary>
    public static Task<bool> OpenGate() => Task.FromResult(Gate.TrySetResult());

    /// <summary>0..count-1, stopping after the first <paramref name="before"/> items until <see cref="OpenGate"/> is
    /// called (bounded: 30 s), noting "gated:cancelled" if it is cancelled meanwhile.</summary>
    public static async IAsyncEnumerable<int> Gated(int before, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (i == before)
            {
                try
                {
                    await Gate.Task.WaitAsync(TimeSpan.FromSeconds(30), CancelScope.CurrentToken);
                }
                catch (OperationCanceledException)
                {
                    Note("gated:cancelled");
                    throw;
                }
            }
            yield return i;
        }
    }
}
