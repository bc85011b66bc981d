using System.Collections.Concurrent;
using NUnit.Framework;

namespace TractorNet.CSharp.Tests;

/// <summary>The task nursery as a C# user sees it: <c>TaskNursery.OpenAsync(async n => ...)</c>.</summary>
public class TaskNurseryTests
{
    /// <summary>Generous bound on every wait: catches hangs, never used as synchronisation.</summary>
    static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    static Task Hang(CancellationToken ct) => Task.Delay(Timeout.Infinite, ct);

    [Test]
    public async Task OpenAsyncWaitsForEveryChild()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new ConcurrentBag<string>();
        await TaskNursery.OpenAsync(async n =>
        {
            n.StartSoon(async ct => { await gate.Task; finished.Add("waiter"); });
            n.StartSoon(async ct => { await Task.Yield(); finished.Add("releaser"); gate.SetResult(); });
            await Task.CompletedTask;
        }).WaitAsync(Within);
        Assert.That(finished, Is.EquivalentTo(new[] { "waiter", "releaser" }));
    }

    [Test]
    public async Task OpenAsyncReturnsTheBodysValueAndChildrenReturnTheirs()
    {
        var sum = await TaskNursery.OpenAsync(async n =>
        {
            var a = n.StartChild(async ct => { await Task.Delay(1, ct); return 20; });
            var b = n.StartChild(ct => Task.FromResult(22));
            return await a + await b;
        }).WaitAsync(Within);
        Assert.That(sum, Is.EqualTo(42));
    }

    [Test]
    public void TheFirstErrorCancelsSiblingsAndBodyAndIsRethrownAsItself()
    {
        var cancelled = new ConcurrentBag<string>();
        var e = Assert.ThrowsAsync<InvalidOperationException>(() =>
            TaskNursery.OpenAsync(async n =>
            {
                n.StartSoon(async ct =>
                {
                    try { await Hang(ct); }
                    finally { if (ct.IsCancellationRequested) cancelled.Add("sibling"); }
                });
                n.StartSoon(async ct => { await Task.Yield(); throw new InvalidOperationException("boom"); });
                try { await Hang(n.Token); }
                finally { if (n.Token.IsCancellationRequested) cancelled.Add("body"); }
            }).WaitAsync(Within));
        Assert.That(e!.Message, Is.EqualTo("boom"));
        Assert.That(cancelled, Is.EquivalentTo(new[] { "sibling", "body" }));
    }

    [Test]
    public void SeveralErrorsBecomeOneMultiErrorException()
    {
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = 0;
        var e = Assert.ThrowsAsync<MultiErrorException>(() =>
            TaskNursery.OpenAsync(async n =>
            {
                foreach (var name in new[] { "a", "b" })
                    n.StartSoon(async ct =>
                    {
                        // Not cancellable: both children certainly fail.
                        if (Interlocked.Increment(ref arrived) == 2) both.SetResult();
                        await both.Task;
                        throw new ApplicationException(name);
                    });
                await Task.CompletedTask;
            }).WaitAsync(Within));
        Assert.That(e!.InnerExceptions.Select(x => x.Message), Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(e, Is.InstanceOf<AggregateException>());
    }

    [Test]
    public async Task CancelIsAbsorbedAndCancelledChildrenAreNotErrors()
    {
        var cancelled = 0;
        await TaskNursery.OpenAsync(async n =>
        {
            for (var i = 0; i < 3; i++)
                n.StartSoon(async ct =>
                {
                    try { await Hang(ct); }
                    finally { Interlocked.Increment(ref cancelled); }
                });
            n.Cancel();
            await Task.CompletedTask;
        }).WaitAsync(Within);
        Assert.That(cancelled, Is.EqualTo(3));
    }

    [Test]
    public void AValueNurseryCutShortByItsOwnCancelThrowsOperationCanceled()
    {
        Assert.CatchAsync<OperationCanceledException>(() =>
            TaskNursery.OpenAsync<int>(async n =>
            {
                n.StartSoon(ct => { n.Cancel(); return Task.CompletedTask; });
                await Hang(n.Token);
                return 1;
            }).WaitAsync(Within));
    }

    [Test]
    public void ACancellationTokenCancelsTheNurseryAndPropagates()
    {
        using var cts = new CancellationTokenSource();
        var childCancelled = false;
        Assert.CatchAsync<OperationCanceledException>(() =>
            TaskNursery.OpenAsync(async n =>
            {
                n.StartSoon(async ct =>
                {
                    try { await Hang(ct); }
                    finally { childCancelled = ct.IsCancellationRequested; }
                });
                cts.Cancel();
                await Hang(n.Token);
            }, cts.Token).WaitAsync(Within));
        Assert.That(childCancelled, Is.True);
    }

    [Test]
    public async Task StartReturnsTheStartedValueWhileTheChildKeepsRunning()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = false;
        await TaskNursery.OpenAsync(async n =>
        {
            var port = await n.Start<int>(async (started, ct) =>
            {
                started.Started(8080);
                await release.Task;
                finished = true;
            });
            Assert.That(port, Is.EqualTo(8080));
            Assert.That(finished, Is.False);
            release.SetResult();
        }).WaitAsync(Within);
        Assert.That(finished, Is.True);
    }

    [Test]
    public async Task StartingAChildOnAClosedNurseryIsAClearError()
    {
        TaskNursery? closed = null;
        await TaskNursery.OpenAsync(n => { closed = n; return Task.CompletedTask; });
        var e = Assert.Throws<InvalidOperationException>(() => closed!.StartSoon(ct => Task.CompletedTask));
        Assert.That(e!.Message, Does.Contain("closed"));
    }
}
