using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Daemon actors (<c>StartActor</c>): many calls, with arguments, of every function shape.</summary>
public class DaemonActorTests
{
    [Test]
    public async Task ADaemonServesRepeatedCallsWithArguments()
    {
        int daemonPid = 0;
        await Tractor.OpenNursery(async n =>
        {
            var frank = await n.StartActor("frank", enableModules: [typeof(Work)]);
            daemonPid = frank.Pid;
            Assert.That(frank.Name, Is.EqualTo("frank"));

            for (var i = 0; i < 20; i++)
                Assert.That(await frank.Run(Work.Add, i, 100), Is.EqualTo(i + 100));

            Assert.That(await frank.Run(Work.Pid), Is.EqualTo(frank.Pid), "every call ran in the same process");
            Assert.That(await frank.Run(Work.Greet, "hello", "frank", 2), Is.EqualTo("hello frank hello frank"));
            Assert.That(await frank.Run(Work.Square, 12L), Is.EqualTo(144L));
            Assert.That(await frank.Run(Work.Upper, "quiet"), Is.EqualTo("QUIET"));
            Assert.That(await frank.Run(Work.Echo, "generic"), Is.EqualTo("generic"));
            Assert.That(await frank.Run(Work.Echo, 7.5), Is.EqualTo(7.5));
            await frank.Run(Work.Nothing);
            Assert.That(await frank.CancelActor(), Is.True, "frank acknowledged the cancel");
        }).WaitAsync(Bound);

        Assert.That(Gone(daemonPid));
    }

    [Test]
    public async Task ADaemonServesConcurrentCalls()
    {
        await Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("adder", [typeof(Work)]);
            var sums = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => d.Run(Work.Add, i, i)));
            Assert.That(sums, Is.EqualTo(Enumerable.Range(0, 16).Select(i => 2 * i)));
            await d.CancelActor();
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task ACallIsCancelledByItsTokenAndTheDaemonKeepsServing()
    {
        await Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("patient", [typeof(Work)]);
            using var cts = new CancellationTokenSource();
            var call = d.Run(Work.Forever, cts.Token);
            cts.Cancel();
            await Throws<OperationCanceledException>(() => call);
            Assert.That(await d.Run(Work.Add, 1, 2), Is.EqualTo(3));
            await d.CancelActor();
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task CallsEndAsCancelledWhenTheNurseryIsCancelled()
    {
        await Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("interrupted", [typeof(Work)]);
            var inFlight = d.Run(Work.Forever);
            n.Cancel();
            await Throws<OperationCanceledException>(() => inFlight);
            await Throws<OperationCanceledException>(() => d.Run(Work.Add, 1, 2));
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task JoinAsyncWaitsForADaemonUntilItIsCancelled()
    {
        await using var n = await Tractor.OpenNursery();
        var d = await n.StartActor("lingering", [typeof(Work)]);
        var join = n.JoinAsync();

        // A negative check needs some time; 300 ms of a daemon's life is plenty to see join return wrongly.
        await Task.WhenAny(join, Task.Delay(300));
        Assert.That(join.IsCompleted, Is.False, "the nursery ended while its daemon was alive");
        Assert.That(await d.Run(Work.Add, 2, 3), Is.EqualTo(5), "the daemon still serves after JoinAsync began");

        await d.CancelActor();
        await join.WaitAsync(Bound);
        Assert.That(Gone(d.Pid));
    }

    [Test]
    public async Task ModulesCanBeEnabledByName()
    {
        await Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("by-name", ["TractorNet.CSharp.Tests.NotEnabled"]);
            Assert.That(await d.Run(NotEnabled.Secret), Is.EqualTo(42));
            await d.CancelActor();
        }).WaitAsync(Bound);
    }
}
