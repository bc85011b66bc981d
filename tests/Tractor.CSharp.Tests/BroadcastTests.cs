using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;
using static TractorNet.CSharp.Tests.StreamTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Broadcast fan-out of a remote stream to several local readers (<c>Subscribe()</c>).</summary>
public class BroadcastTests
{
    [Test]
    public async Task EachSubscriberGetsItsOwnCopyOfEveryItem()
    {
        var (a, b) = await WithDaemon("copier", async portal =>
        {
            var stream = portal.OpenStream(StreamWork.Count, 0, 300);
            await using var subA = stream.Subscribe(8);
            await using var subB = stream.Subscribe(8);
            await using var ea = subA.GetAsyncEnumerator(default);
            await using var eb = subB.GetAsyncEnumerator(default);
            List<int> a = [], b = [];
            // In lockstep, so neither falls behind the other.
            while (true)
            {
                bool moreA = await ea.MoveNextAsync(), moreB = await eb.MoveNextAsync();
                if (moreA) a.Add(ea.Current);
                if (moreB) b.Add(eb.Current);
                if (!moreA || !moreB) break;
            }
            return (a, b);
        });

        Assert.That(a, Is.EqualTo(Enumerable.Range(0, 300)));
        Assert.That(b, Is.EqualTo(Enumerable.Range(0, 300)));
    }

    [Test]
    public async Task ASubscriberThatFallsBehindGetsLaggedErrorTheOthersCarryOn()
    {
        const int capacity = 16;
        var (fast, lagged) = await WithDaemon("broadcaster", async portal =>
        {
            var stream = portal.OpenStream(StreamWork.Count, 0, 500);
            var quick = stream.Subscribe(capacity);
            var slow = stream.Subscribe(capacity);
            var farAhead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            async Task<List<int>> ReadQuick()
            {
                await using var _ = quick;
                var items = new List<int>();
                await foreach (var x in quick)
                {
                    items.Add(x);
                    if (items.Count == 3 * capacity) farAhead.TrySetResult();
                }
                return items;
            }

            async Task<LaggedError> ReadSlow()
            {
                await using var _ = slow;
                await farAhead.Task;
                return await Throws<LaggedError>(() => ReadAll(slow));
            }

            var quickItems = ReadQuick();
            var lagged = ReadSlow();
            return (await quickItems, await lagged);
        });

        Assert.That(fast, Is.EqualTo(Enumerable.Range(0, 500)));
        Assert.That(lagged.Missed, Is.GreaterThanOrEqualTo(capacity));
        Assert.That(lagged.Capacity, Is.EqualTo(capacity));
    }

    [Test]
    public async Task AContextStreamFansOutToSeveralLocalTasks()
    {
        var copies = await WithDaemon("fanout", async portal =>
        {
            await using var ctx = await portal.OpenContextAsync<int, int, string>(StreamWork.Produce, 200);
            await using var stream = ctx.OpenStream<int, int>();
            // Everyone subscribes before anyone reads (a subscription sees the items from then on); a buffer as large
            // as the stream, so no reader can lag whatever the scheduling.
            var subscriptions = Enumerable.Range(0, 3).Select(_ => stream.Subscribe(256)).ToArray();
            var copies = await Task.WhenAll(subscriptions.Select(async sub =>
            {
                await using var _ = sub;
                return await ReadAll(sub);
            }));
            Assert.That(await ctx.Result(), Is.EqualTo("sent"));
            return copies;
        });

        Assert.That(copies, Has.Length.EqualTo(3));
        Assert.That(copies, Has.All.EqualTo(Enumerable.Range(0, 200)));
    }

    [Test]
    public async Task CancellingTheScopeOfTheSubscriberReadingTheStreamLeavesTheOthersEveryItem()
    {
        var (fastItems, fastError, fastAbsorbed, slowItems, events) = await WithDaemon("handover", async portal =>
        {
            var stream = portal.OpenStream(StreamWork.Gated, 3, 20);
            await using var fast = stream.Subscribe(32);
            await using var slow = stream.Subscribe(32);
            List<int> fastItems = [], slowItems = [];
            Exception? fastError = null;
            var fastWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var slowWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            // Each in its own scope; the fast one starts the read of item 3 (held back by the gate), the slow one
            // then waits for that read.
            var fastScope = new CancelScope();
            var fastRun = fastScope.RunAsync(async _ =>
            {
                try
                {
                    await ReadThenWait(fast, 3, fastItems, fastWaiting);
                }
                catch (Exception e)
                {
                    fastError = e;
                    throw;
                }
            });
            await fastWaiting.Task.WaitAsync(Bound);
            var slowRun = new CancelScope().RunAsync(_ => ReadThenWait(slow, 3, slowItems, slowWaiting));
            await slowWaiting.Task.WaitAsync(Bound);

            fastScope.Cancel();
            await fastRun.WaitAsync(Bound);
            await portal.Run(StreamWork.OpenGate);
            await slowRun.WaitAsync(Bound);
            return (fastItems, fastError, fastScope.CancelledCaught, slowItems, await portal.Run(StreamWork.Events));
        });

        Assert.That(fastItems, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(fastError, Is.InstanceOf<OperationCanceledException>());
        Assert.That(fastAbsorbed, Is.True, "the fast subscriber's scope absorbed its own cancellation");
        Assert.That(slowItems, Is.EqualTo(Enumerable.Range(0, 20)));
        Assert.That(events, Does.Not.Contain("gated:cancelled"), "the remote generator ran to its end");
    }

    /// <summary>Reads <paramref name="before"/> items, then starts the next read, says so through
    /// <paramref name="waiting"/> and reads on to the end.</summary>
    static async Task ReadThenWait(IAsyncEnumerable<int> source, int before, List<int> items, TaskCompletionSource waiting)
    {
        await using var e = source.GetAsyncEnumerator();
        for (var i = 0; i < before; i++)
            if (await e.MoveNextAsync()) items.Add(e.Current);
        var next = e.MoveNextAsync();
        waiting.TrySetResult();
        for (var more = await next; more; more = await e.MoveNextAsync())
            items.Add(e.Current);
    }
}
