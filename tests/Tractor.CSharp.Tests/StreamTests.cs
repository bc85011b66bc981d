using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;
using static TractorNet.CSharp.Tests.StreamTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>One-way streams from C# async iterators in another process (<c>portal.OpenStream</c>, <c>await foreach</c>).</summary>
public class StreamTests
{
    [Test]
    public async Task AOneWayStreamDeliversEveryItemInOrderAndEachLoopRunsTheFunctionAgain()
    {
        var (a, b) = await WithDaemon("numbers", async portal =>
        {
            var stream = portal.OpenStream(StreamWork.Count, 100, 1000);
            return (await ReadAll(stream), await ReadAll(stream));
        });

        Assert.That(a, Is.EqualTo(Enumerable.Range(100, 1000)));
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public async Task BreakingOutOfTheLoopCancelsTheRemoteGenerator()
    {
        var (items, events) = await WithDaemon("endless", async portal =>
        {
            var items = new List<long>();
            await foreach (var x in portal.OpenStream(StreamWork.Endless))
            {
                items.Add(x);
                if (items.Count == 5) break;
            }
            // Leaving the loop awaited the generator's end: its events are there already.
            return (items, await portal.Run(StreamWork.Events));
        });

        Assert.That(items, Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        Assert.That(events, Does.Contain("generator:cancelled").And.Contain("generator:disposed"));
    }

    [Test]
    public async Task AGeneratorErrorArrivesAtTheLoopAfterItsItems()
    {
        var items = new List<string>();
        var e = await Throws<RemoteActorError>(() => WithDaemon("failgen", async portal =>
        {
            await foreach (var w in portal.OpenStream(StreamWork.WordsThenFail, 3)) items.Add(w);
        }));

        Assert.That(items, Is.EqualTo(new[] { "w0", "w1", "w2" }));
        Assert.That(e.RemoteMessage, Is.EqualTo("generator failed"));
    }

    [Test]
    public async Task LargeItemsRoundTripIntactAndInOrder()
    {
        int[] sizes = [0, 1, 1024, 65_536, 3, 200_000, 70_000, 1_048_576, 7];
        var items = await WithDaemon("blobs", portal => ReadAll(portal.OpenStream(StreamWork.Blobs, sizes)));

        Assert.That(items.Count, Is.EqualTo(sizes.Length));
        for (var i = 0; i < sizes.Length; i++)
            Assert.That(items[i], Is.EqualTo(StreamWork.BlobOf(i, sizes[i])), $"item {i} ({sizes[i]} bytes)");
    }

    [Test]
    public async Task BackpressureLosesNothingAndTheGeneratorStaysWithinItsWindow()
    {
        const int window = 4;
        var (items, maxAhead) = await WithDaemon("paced", async portal =>
        {
            var items = new List<int>();
            var maxAhead = 0;
            await foreach (var x in portal.OpenStream(StreamWork.Count, 0, 100, StreamOptions.Default.WithBufferSize(window)))
            {
                items.Add(x);
                maxAhead = Math.Max(maxAhead, await portal.Run(StreamWork.SentCount) - items.Count);
            }
            return (items, maxAhead);
        });

        Assert.That(items, Is.EqualTo(Enumerable.Range(0, 100)));
        // The generator counts an item once the pump took it: the window in flight, plus the one waiting to be sent.
        Assert.That(maxAhead, Is.LessThanOrEqualTo(window + 1));
    }

    [Test]
    public async Task AFastGeneratorUnderASmallWindowDeliversEveryItemInOrderWithinItsWindow()
    {
        // Items ready at once are held and sent in runs; a run ends where the credit does.
        const int window = 16, count = 20_000;
        var (items, maxAhead) = await WithDaemon("fastpaced", async portal =>
        {
            var items = new List<int>(count);
            var maxAhead = 0;
            await foreach (var x in portal.OpenStream(StreamWork.FastCount, count, 500, StreamOptions.Default.WithBufferSize(window)))
            {
                items.Add(x);
                if (items.Count % 1000 == 0)
                    maxAhead = Math.Max(maxAhead, await portal.Run(StreamWork.SentCount) - items.Count);
            }
            return (items, maxAhead);
        });

        Assert.That(items, Is.EqualTo(Enumerable.Range(0, count)));
        Assert.That(maxAhead, Is.LessThanOrEqualTo(window + 1));
    }

    [Test]
    public async Task WithCancellationEndsTheLoopWithOperationCanceledAndCancelsTheGenerator()
    {
        var (received, events) = await WithDaemon("cancelled", async portal =>
        {
            using var cts = new CancellationTokenSource();
            var received = 0;
            await Throws<OperationCanceledException>(async () =>
            {
                await foreach (var _ in portal.OpenStream(StreamWork.Endless).WithCancellation(cts.Token))
                    if (++received == 3) cts.Cancel();
            });
            return (received, await portal.Run(StreamWork.Events));
        });

        Assert.That(received, Is.GreaterThanOrEqualTo(3));
        Assert.That(events, Does.Contain("generator:disposed"));
    }

    [Test]
    public async Task CancellingTheNurseryEndsAnOpenStreamWithOperationCanceled()
    {
        // The explicit-join form: the loop does not run inside the nursery's cancel scope, so the stream must observe
        // the nursery's token itself.
        await using var n = await Tractor.OpenNursery();
        var portal = await n.StartActor("interrupted", [typeof(StreamWork)]);
        var received = 0;
        await Throws<OperationCanceledException>(async () =>
        {
            await foreach (var _ in portal.OpenStream(StreamWork.Endless))
                if (++received == 3) n.Cancel();
        });
        await n.JoinAsync().WaitAsync(Bound);
        Assert.That(received, Is.EqualTo(3), "the loop ended at the cancellation");
        Assert.That(Gone(portal.Pid));
    }

    [Test]
    public async Task BadStreamFunctionsAreRefusedAtTheCallSite()
    {
        await WithDaemon("refuser", async portal =>
        {
            // IAsyncEnumerable is covariant: a string stream binds to Func<IAsyncEnumerable<object>>.
            var wrongItem = Assert.Throws<ArgumentException>(() => portal.OpenStream<int, object>(StreamWork.WordsThenFail, 1));
            Assert.That(wrongItem!.Message, Does.Contain("IAsyncEnumerable<Object>"));
            var lambda = Assert.Throws<ArgumentException>(() => portal.OpenStream(() => StreamWork.Count(0, 1)));
            Assert.That(lambda!.Message, Does.Contain("static method group"));
            await Task.CompletedTask;
        });
    }
}
