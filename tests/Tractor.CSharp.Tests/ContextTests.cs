using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;
using static TractorNet.CSharp.Tests.StreamTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Bidirectional contexts from C# (<c>OpenContextAsync</c>, <c>await using</c>), between real processes.</summary>
public class ContextTests
{
    [Test]
    public async Task PingPongTenPingsTenPongsWithStartedValueAndResult()
    {
        var (first, pongs, result) = await WithDaemon("rpc_server", async portal =>
        {
            await using var ctx = await portal.OpenContextAsync<int, int, int>(StreamWork.PingPong, 10);
            var pongs = 0;
            await using (var stream = ctx.OpenStream<string, string>())
            {
                await using var replies = stream.GetAsyncEnumerator(default);
                for (var i = 0; i < 10; i++)
                {
                    await stream.Send("ping");
                    Assert.That(await replies.MoveNextAsync(), Is.True);
                    Assert.That(replies.Current, Is.EqualTo("pong"));
                    pongs++;
                }
            } // leaving the stream stops our side: the server's loop ends and it returns
            return (ctx.First, pongs, await ctx.Result());
        });

        Assert.That(first, Is.EqualTo(11));
        Assert.That(pongs, Is.EqualTo(10));
        Assert.That(result, Is.EqualTo(10), "the server counted ten pings");
    }

    [Test]
    public async Task AContextFunctionWithoutAValueEchoesUntilTheCallerStops()
    {
        var echoes = await WithDaemon("echoer", async portal =>
        {
            await using var ctx = await portal.OpenContextAsync<string, string, int>(StreamWork.Echo, ">", 2);
            Assert.That(ctx.First, Is.EqualTo(">"));
            await using var stream = ctx.OpenStream<string, string>();
            foreach (var s in new[] { "a", "b" }) await stream.Send(s);
            await stream.Stop();
            var echoes = await ReadAll(stream);
            await ctx.Result();
            return echoes;
        });

        Assert.That(echoes, Is.EqualTo(new[] { ">a", ">a", ">b", ">b" }));
    }

    [Test]
    public async Task ASecondStartedSurfacesAsRemoteActorError()
    {
        var e = await Throws<RemoteActorError>(() => WithDaemon("twice", async portal =>
        {
            await using var ctx = await portal.OpenContextAsync<int, int>(StreamWork.StartTwice);
            Assert.That(ctx.First, Is.EqualTo(1));
            return await ctx.Result();
        }));

        Assert.That(e.TypeName, Is.EqualTo("System.InvalidOperationException"));
        Assert.That(e.RemoteMessage, Does.Contain("already called"));
    }

    [Test]
    public async Task ACalleeErrorMidStreamArrivesAfterItsItems()
    {
        var items = new List<int>();
        var e = await Throws<RemoteActorError>(() => WithDaemon("crasher", async portal =>
        {
            await using var ctx = await portal.OpenContextAsync<int, int, string>(StreamWork.ProduceThenFail, 3);
            await using var stream = ctx.OpenStream<int, int>();
            await foreach (var x in stream) items.Add(x);
        }));

        Assert.That(items, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(e.RemoteMessage, Is.EqualTo("failed after 3 items"));
    }

    [Test]
    public async Task LeavingTheAwaitUsingBlockCancelsTheCalleeAndAbsorbsTheCancellation()
    {
        var (first, events) = await WithDaemon("lingerer", async portal =>
        {
            int first;
            await using (var ctx = await portal.OpenContextAsync<int, int>(StreamWork.StartThenHang))
                first = ctx.First;
            // The exit waited for the callee's end: its event is there already.
            return (first, await portal.Run(StreamWork.Events));
        });

        Assert.That(first, Is.EqualTo(7));
        Assert.That(events, Does.Contain("afterStarted:cancelled"));
    }

    [Test]
    public async Task AnErrorInTheCallersBodyCancelsTheCalleeAndPropagatesAsItself()
    {
        string[] events = [];
        var e = await Throws<InvalidTimeZoneException>(() => WithDaemon("victim", async portal =>
        {
            try
            {
                await using var ctx = await portal.OpenContextAsync<int, int>(StreamWork.StartThenHang);
                throw new InvalidTimeZoneException("caller broke");
            }
            finally
            {
                events = await portal.Run(StreamWork.Events);
            }
        }));

        Assert.That(e.Message, Is.EqualTo("caller broke"));
        Assert.That(events, Does.Contain("afterStarted:cancelled"));
    }

    [Test]
    public async Task CancelAsyncEndsTheCalleeResultNamesUsAndExitAbsorbsIt()
    {
        var e = await WithDaemon("cancellee", async portal =>
        {
            await using var ctx = await portal.OpenContextAsync<int, int>(StreamWork.StartThenHang);
            await ctx.CancelAsync();
            return await Throws<ContextCancelledError>(() => ctx.Result());
        });

        Assert.That(e.Canceller, Is.EqualTo(Tractor.CurrentActor.Id));
    }

    [Test]
    public async Task TheCancellationTokenCancelsARunningContext()
    {
        var events = await WithDaemon("token", async portal =>
        {
            using var cts = new CancellationTokenSource();
            await using (var ctx = await portal.OpenContextAsync<int, int>(StreamWork.StartThenHang, cancellationToken: cts.Token))
            {
                cts.Cancel();
                await Throws<ContextCancelledError>(() => ctx.Result());
            } // our own cancellation: absorbed here
            return await portal.Run(StreamWork.Events);
        });

        Assert.That(events, Does.Contain("afterStarted:cancelled"));
    }

    [Test]
    public async Task CancellingTheNurseryCancelsAnOpenContextAndLeavingItRaisesNothing()
    {
        await using var n = await Tractor.OpenNursery();
        var portal = await n.StartActor("interrupted", [typeof(StreamWork)]);
        await using (var ctx = await portal.OpenContextAsync<int, int>(StreamWork.StartThenHang))
        {
            n.Cancel();
            // Ended by our own side's cancellation: the function's end is observable, leaving absorbs it.
            await Task.WhenAny(ctx.Result()).WaitAsync(Bound);
            Assert.That(ctx.Token.IsCancellationRequested, "the context ended abnormally");
        }
        await n.JoinAsync().WaitAsync(Bound);
        Assert.That(Gone(portal.Pid));
    }

    [Test]
    public async Task ACalleeCancellingItsOwnContextRaisesContextCancelledErrorNamingIt()
    {
        ActorId? callee = null;
        var e = await Throws<ContextCancelledError>(() => WithDaemon("selfcancel", async portal =>
        {
            callee = portal.Actor;
            await using var ctx = await portal.OpenContextAsync<int, int>(StreamWork.CancelSelf);
            await ctx.Result();
        }));

        Assert.That(e.Canceller, Is.EqualTo(callee));
    }

    [Test]
    public async Task BackpressureLosesNothingAndTheSenderStaysWithinItsWindow()
    {
        const int window = 4, count = 200;
        var (items, maxAhead) = await WithDaemon("sender", async portal =>
        {
            var options = StreamOptions.Default.WithBufferSize(window);
            await using var ctx = await portal.OpenContextAsync<int, int, string>(StreamWork.Produce, count, options);
            await using var stream = ctx.OpenStream<int, int>();
            var items = new List<int>();
            var maxAhead = 0;
            await foreach (var x in stream)
            {
                items.Add(x);
                // How far ahead of us the sender got: bounded by the window.
                maxAhead = Math.Max(maxAhead, await portal.Run(StreamWork.SentCount) - items.Count);
            }
            Assert.That(await ctx.Result(), Is.EqualTo("sent"));
            return (items, maxAhead);
        });

        Assert.That(items, Is.EqualTo(Enumerable.Range(0, count)), "every item, in order");
        Assert.That(maxAhead, Is.LessThanOrEqualTo(window), "the sender waited for credit");
    }

    [Test]
    public async Task OverrunsFailRaisesStreamOverrunErrorAfterTheBufferedItems()
    {
        var (items, error) = await WithDaemon("flooder", async portal =>
        {
            var options = new StreamOptions(8, Overruns.Fail);
            await using var ctx = await portal.OpenContextAsync<int, int, string>(StreamWork.Produce, 10_000, options);
            await using var stream = ctx.OpenStream<int, int>();
            // The sender runs to its end (or is stopped by the overrun) before we read anything.
            try { await ctx.Result(); } catch (Exception) { /* the overrun, seen by the sender */ }
            var items = new List<int>();
            var error = await Throws<StreamOverrunError>(async () => { await foreach (var x in stream) items.Add(x); });
            return (items, error);
        });

        Assert.That(items, Is.EqualTo(Enumerable.Range(0, 8)), "the buffered items come first");
        Assert.That(error, Is.Not.Null);
    }

    /// <summary>Waits (bounded) for <paramref name="token"/> to be cancelled; true if it was.</summary>
    static async Task<bool> Cancelled(CancellationToken token)
    {
        await Task.WhenAny(Task.Delay(Timeout.Infinite, token), Task.Delay(Bound));
        return token.IsCancellationRequested;
    }

    [Test]
    public async Task ACalleeOverrunningACallerThatNeverOpensItsStreamFailsTheContextOnBothSides()
    {
        var tokenCancelled = false;
        string[] events = [];
        var error = await Throws<StreamOverrunError>(() => WithDaemon("overrunner", async portal =>
        {
            try
            {
                // One item more than our buffer holds; the stream is never opened.
                await using var ctx = await portal.OpenContextAsync<int, int, int>(StreamWork.SendThenWait, 9, new StreamOptions(8, Overruns.Fail));
                tokenCancelled = await Cancelled(ctx.Token);
            }
            finally
            {
                // The exit waited for the callee's end: its events are there already.
                events = await portal.Run(StreamWork.Events);
            }
        }));

        Assert.That(tokenCancelled, "the overrun cancelled the caller's ctx.Token");
        Assert.That(error, Is.Not.InstanceOf<RemoteActorError>(), "detected here: not boxed");
        Assert.That(events, Does.Contain("sender:cancelled"), "the overrun ended the callee's wait");
        Assert.That(events, Does.Contain("sender:StreamOverrunError"), "the callee's next send threw the overrun");
    }

    [Test]
    public async Task ACallerOverrunningACalleeThatNeverOpensItsStreamFailsTheContextOnBothSides()
    {
        ActorId? callee = null;
        var tokenCancelled = false;
        Exception? sendError = null;
        string[] events = [];
        var error = await Throws<RemoteActorError>(() => WithDaemon("overrun", async portal =>
        {
            callee = portal.Actor;
            try
            {
                await using var ctx = await portal.OpenContextAsync<int, int>(StreamWork.OpenWhenReleased, new StreamOptions(8, Overruns.Fail));
                await using var stream = ctx.OpenStream<int, int>();
                // One item more than the callee's buffer holds.
                for (var i = 0; i <= 8; i++) await stream.Send(i);
                tokenCancelled = await Cancelled(ctx.Token);
                sendError = await Throws<StreamOverrunError>(async () => await stream.Send(9));
            }
            finally
            {
                events = await portal.Run(StreamWork.Events);
            }
        }));

        Assert.That(tokenCancelled, "the overrun cancelled the caller's ctx.Token");
        Assert.That(sendError, Is.Not.Null, "the caller's next send failed");
        Assert.That(events, Does.Contain("late:cancelled"), "the overrun cancelled the callee's function");
        Assert.That(error.BoxedType, Is.EqualTo(typeof(StreamOverrunError)), "context exit threw the callee's overrun, boxed");
        Assert.That(error.Source, Is.EqualTo(callee));
    }

    [Test]
    public async Task ExactlyBufferSizeItemsWaitingForAStreamNotYetOpenedAreLegalBothWays()
    {
        var (fromCallee, tokenCancelled, sum) = await WithDaemon("exactly", async portal =>
        {
            var options = new StreamOptions(8, Overruns.Fail);
            List<int> fromCallee;
            bool tokenCancelled;
            await using (var ctx = await portal.OpenContextAsync<int, int, string>(StreamWork.Produce, 8, options))
            {
                // The callee sends all 8 and returns before we open our stream.
                Assert.That(await ctx.Result(), Is.EqualTo("sent"));
                await using var stream = ctx.OpenStream<int, int>();
                fromCallee = await ReadAll(stream);
                tokenCancelled = ctx.Token.IsCancellationRequested;
            }
            await using (var ctx = await portal.OpenContextAsync<int, int>(StreamWork.OpenWhenReleased, options))
            {
                await using var stream = ctx.OpenStream<int, int>();
                for (var i = 0; i < 8; i++) await stream.Send(i);
                await stream.Stop();
                // Behind our items on the connection: they all reached the callee's context.
                await portal.Run(StreamWork.Release);
                return (fromCallee, tokenCancelled, await ctx.Result());
            }
        });

        Assert.That(fromCallee, Is.EqualTo(Enumerable.Range(0, 8)));
        Assert.That(tokenCancelled, Is.False);
        Assert.That(sum, Is.EqualTo(28));
    }

    [Test]
    public async Task CancelAsyncEndsTheStreamsIterationWithContextCancelledErrorNamingUsAndExitAbsorbsIt()
    {
        var (items, error, ranPastTheLoop) = await WithDaemon("owncancel", async portal =>
        {
            await using var ctx = await portal.OpenContextAsync<int, int, string>(StreamWork.ProduceThenHang, 3);
            await using var stream = ctx.OpenStream<int, int>();
            var items = new List<int>();
            var ranPastTheLoop = false;
            var error = await Throws<ContextCancelledError>(async () =>
            {
                await foreach (var x in stream)
                {
                    items.Add(x);
                    if (items.Count == 3) await ctx.CancelAsync();
                }
                ranPastTheLoop = true;
            });
            return (items, error, ranPastTheLoop);
        });

        Assert.That(items, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(ranPastTheLoop, Is.False, "the iteration did not end as if the stream had completed");
        Assert.That(error.Canceller, Is.EqualTo(Tractor.CurrentActor.Id));
    }

    [Test]
    public async Task BadContextFunctionsAreRefusedAtTheCallSite()
    {
        await WithDaemon("refuser", async portal =>
        {
            // Task<int> binds to Func<Context<int>, Task> by covariance: the result type must be stated.
            var wrongResult = await Throws<ArgumentException>(() => portal.OpenContextAsync<int>(StreamWork.StartTwice));
            Assert.That(wrongResult.Message, Does.Contain("state the result type"));
            var lambda = await Throws<ArgumentException>(() =>
                portal.OpenContextAsync<int, int>(async ctx => { await ctx.Started(1); return 1; }));
            Assert.That(lambda.Message, Does.Contain("static method group"));
            var badOptions = await Throws<ArgumentException>(() =>
                portal.OpenContextAsync<int, int>(StreamWork.StartThenHang, new StreamOptions(0, Overruns.Backpressure)));
            Assert.That(badOptions.Message, Does.Contain("BufferSize"));
        });
    }
}
