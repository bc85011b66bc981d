using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Foreign code run by the foreign tests, also in child actors (a plain static class).</summary>
public static class ForeignWork
{
    /// <summary>Echoes every message back (tractor's aio_echo_server).</summary>
    public static async Task Echo(ForeignEnd<string, int, int> chan, CancellationToken ct)
    {
        chan.Started("start");
        while (true)
            await chan.SendAsync(await chan.ReceiveAsync());
    }

    /// <summary>Sends its first message, then fails.</summary>
    public static async Task StartThenFail(ForeignEnd<string, int, int> chan, CancellationToken ct)
    {
        chan.Started("start");
        await Task.Yield();
        throw new InvalidOperationException("foreign boom");
    }

    /// <summary>Foreign code: sends its first message, fails once the body has sent it one (so the body is surely running).</summary>
    public static async Task FailOnFirstMessage(ForeignEnd<string, int, int> chan, CancellationToken ct)
    {
        chan.Started("start");
        await chan.ReceiveAsync();
        throw new InvalidOperationException("foreign boom");
    }

    /// <summary>An actor's function whose foreign task fails while the structured side waits.</summary>
    public static Task<int> FailsInActor() =>
        Tractor.OpenChannelFrom<string, int, int, int>(StartThenFail, async (first, chan) => await chan.ReceiveAsync());
}

/// <summary>Foreign (unstructured) Task code as a C# user bridges it: <c>Tractor.OpenChannelFrom</c>,
/// <c>Tractor.RunTask</c>, <c>Tractor.FromObservable</c> / <c>ToObservable</c>.</summary>
public class ForeignTests
{
    [Test]
    public async Task TheFirstMessageUnblocksTheBodyAndMessagesFlowBothWays()
    {
        var (first, sum) = await Tractor.OpenChannelFrom<string, int, int, (string, int)>(ForeignWork.Echo, async (first, chan) =>
        {
            var sum = 0;
            for (var i = 1; i <= 10; i++)
            {
                await chan.SendAsync(i);
                sum += await chan.ReceiveAsync();
            }
            return (first, sum);
        }).WaitAsync(Bound);
        Assert.That(first, Is.EqualTo("start"));
        Assert.That(sum, Is.EqualTo(55));
    }

    [Test]
    public async Task TheForeignErrorCancelsTheBodyAndIsThrownAsItself()
    {
        var bodyCancelled = false;
        var e = await Throws<InvalidOperationException>(() =>
            Tractor.OpenChannelFrom<string, int, int>(ForeignWork.FailOnFirstMessage, async (_, chan) =>
            {
                try
                {
                    await chan.SendAsync(1);
                    await Task.Delay(Timeout.Infinite, CancelScope.CurrentToken);
                }
                finally { bodyCancelled = CancelScope.CurrentToken.IsCancellationRequested; }
            }));
        Assert.That(e.Message, Is.EqualTo("foreign boom"));
        Assert.That(bodyCancelled, Is.True);
    }

    [Test]
    public async Task AForeignReturnBeforeItsFirstMessageThrowsForeignTaskExitedError()
    {
        await Throws<ForeignTaskExitedError>(() =>
            Tractor.OpenChannelFrom<int, int, int>((_, _) => Task.CompletedTask, (_, _) => Task.CompletedTask));
    }

    [Test]
    public async Task TheForeignSideExitingEarlyEndsAwaitForeachAfterEveryMessage()
    {
        var got = await Tractor.OpenChannelFrom<bool, int, int, List<int>>(async (chan, ct) =>
        {
            chan.Started(true);
            for (var i = 0; i < 5; i++) await chan.SendAsync(i);
        }, async (_, chan) =>
        {
            var got = new List<int>();
            await foreach (var v in chan) got.Add(v);
            return got;
        }).WaitAsync(Bound);
        Assert.That(got, Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
    }

    [Test]
    public async Task CancellingTheStructuredSideCancelsTheForeignTokenAndWaits()
    {
        var foreignEnded = false;
        var completed = await CancelScopes.MoveOnAfter(TimeSpan.FromMilliseconds(50), ct =>
            Tractor.OpenChannelFrom<int, int, int>(async (chan, ct) =>
            {
                chan.Started(1);
                try { await Task.Delay(Timeout.Infinite, ct); }
                finally { foreignEnded = true; }
            }, (_, _) => Task.Delay(Timeout.Infinite, CancelScope.CurrentToken))).WaitAsync(Bound);
        Assert.That(completed, Is.False);
        Assert.That(foreignEnded, Is.True, "the foreign task had ended when OpenChannelFrom returned");
    }

    [Test]
    public async Task RunTaskReturnsTheValueThrowsTheErrorAndReportsASelfCancellation()
    {
        Assert.That(await Tractor.RunTask(async ct => { await Task.Yield(); return 42; }).WaitAsync(Bound), Is.EqualTo(42));
        var e = await Throws<InvalidOperationException>(() => Tractor.RunTask(async _ =>
        {
            await Task.Yield();
            throw new InvalidOperationException("bad");
        }));
        Assert.That(e.Message, Is.EqualTo("bad"));
        await Throws<ForeignCancelledError>(() => Tractor.RunTask(_ => Task.FromCanceled(new CancellationToken(true))));
    }

    [Test]
    public async Task AStuckForeignTaskIsReported()
    {
        var release = new TaskCompletionSource();
        var options = ForeignOptions.Default;
        options = new ForeignOptions(TimeSpan.FromMilliseconds(100), options.Capacity);
        await Throws<ForeignTaskStuckError>(() =>
            Tractor.OpenChannelFrom<int, int, int>(async (chan, _) => { chan.Started(1); await release.Task; },
                (_, _) => Task.CompletedTask, options));
        release.SetResult();
    }

    sealed class Numbers(int count) : IObservable<int>
    {
        public IDisposable Subscribe(IObserver<int> observer)
        {
            for (var i = 0; i < count; i++) observer.OnNext(i);
            observer.OnCompleted();
            return new Nothing();
        }

        sealed class Nothing : IDisposable { public void Dispose() { } }
    }

    sealed class Collect(TaskCompletionSource done) : IObserver<int>
    {
        public readonly List<int> Items = [];
        public void OnNext(int value) { lock (Items) Items.Add(value); }
        public void OnError(Exception error) => done.TrySetException(error);
        public void OnCompleted() => done.TrySetResult();
    }

    [Test]
    public async Task ObservablesAndAsyncStreamsBridgeBothWays()
    {
        var read = new List<int>();
        await foreach (var v in Tractor.FromObservable(new Numbers(4))) read.Add(v);
        Assert.That(read, Is.EqualTo(new[] { 0, 1, 2, 3 }));

        var done = new TaskCompletionSource();
        var collect = new Collect(done);
        using (Tractor.ToObservable(Tractor.FromObservable(new Numbers(3))).Subscribe(collect))
            await done.Task.WaitAsync(Bound);
        Assert.That(collect.Items, Is.EqualTo(new[] { 0, 1, 2 }));

        await Throws<ForeignOverrunError>(async () =>
        {
            await foreach (var _ in Tractor.FromObservable(new Numbers(10), capacity: 2)) { }
        });
    }

    [Test]
    public async Task AForeignErrorInAnActorArrivesBoxedWithItsType()
    {
        var e = await Throws<RemoteActorError>(() => Tractor.OpenNursery(async n =>
        {
            var p = await n.RunInActor(ForeignWork.FailsInActor);
            await p.Result();
        }));
        Assert.That(e.BoxedType, Is.EqualTo(typeof(InvalidOperationException)));
        Assert.That(e.RemoteMessage, Is.EqualTo("foreign boom"));
    }
}
