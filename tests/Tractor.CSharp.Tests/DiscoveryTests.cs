using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Discovery by name through the C# facade: a discoverable daemon found, called as a peer, waited for,
/// and gone once cancelled (docs/discovery.md).</summary>
public class DiscoveryTests
{
    /// <summary>This test process uses a registry of its own (chosen before its first use of discovery).</summary>
    [OneTimeSetUp]
    public void OwnRegistry()
    {
        var dir = Ipc.UnixSocketDirectory.Ensure();
        Environment.SetEnvironmentVariable("TRACTOR_REGISTRY", $"uds://{dir}/reg-cs-{Guid.NewGuid().ToString("N")[..12]}.sock");
    }

    /// <summary>The registry is private to this run: its files go at the end.</summary>
    [OneTimeTearDown]
    public void RemoveOwnRegistry()
    {
        var path = Environment.GetEnvironmentVariable("TRACTOR_REGISTRY")!["uds://".Length..];
        File.Delete(path);
        File.Delete(path + ".lock");
    }

    [Test]
    public async Task ADiscoverableDaemonIsFoundByNameCalledAsAPeerAndGoneOnceCancelled()
    {
        await Tractor.OpenNursery(async n =>
        {
            var daemon = await n.StartDiscoverableActor("cs-finder-target", [typeof(Work)]);
            var found = await Tractor.FindActor("cs-finder-target");
            Assert.That(found, Is.Not.Null);
            Assert.That(found!.IsPeer, Is.True);
            Assert.That(found.Pid, Is.EqualTo(daemon.Pid));
            Assert.That(await found.Run(Work.Add, 20, 22), Is.EqualTo(42));
            Assert.That(await Tractor.QueryActor("cs-finder-target"), Does.StartWith("uds://"));
            Assert.Throws<InvalidOperationException>(() => found.CancelActor());
            await daemon.CancelActor();
            Assert.That(await Tractor.FindActor("cs-finder-target"), Is.Null);
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task ADiscoverableSupervisedDaemonIsFoundByNameAgainAfterItIsRestarted()
    {
        int before = 0, after = 0, portalPid = 0;
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await Tractor.OpenSupervisor(async s =>
        {
            s.OnEvent(e => { if (e.Kind == SupervisorEventKind.Restarted) restarted.TrySetResult(); });
            var daemon = await s.SuperviseDiscoverableActor("cs-sup-findable", [typeof(SupervisedWork), typeof(Work)]);
            before = (await Tractor.FindActor("cs-sup-findable"))!.Pid;
            Assert.ThrowsAsync<ActorDiedError>(() => daemon.Run(SupervisedWork.Exit, 3));
            await restarted.Task.WaitAsync(Bound);
            after = await (await Tractor.FindActor("cs-sup-findable"))!.Run(Work.Pid);
            portalPid = daemon.Pid;
            await daemon.CancelActor();
        }).WaitAsync(Bound);

        Assert.That(after, Is.Not.EqualTo(before), "the name leads to the new process");
        Assert.That(after, Is.EqualTo(portalPid));
        Assert.That(await Tractor.FindActor("cs-sup-findable"), Is.Null, "unregistered once stopped for good");
    }

    [Test]
    public void UseTlsWithACertificateThatCannotBeLoadedRaisesAClearErrorAndLeavesTlsOff()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-cert-{Guid.NewGuid():N}.pem");
        var e = Assert.Throws<Ipc.IpcException>(() => Tractor.UseTls(missing, null));
        Assert.That(e!.Message, Does.Contain("cannot load the TLS certificate").And.Contain(missing));
        Assert.That(Environment.GetEnvironmentVariable("TRACTOR_TLS_CERT"), Is.Null, "nothing was changed");
    }

    [Test]
    public async Task WaitForActorWakesOnALaterRegistrationAndHonoursItsToken()
    {
        using var never = new CancellationTokenSource();
        var waitingInVain = Tractor.WaitForActor("cs-nobody", never.Token);
        await Tractor.OpenNursery(async n =>
        {
            var waiting = Tractor.WaitForActor("cs-later");
            Assert.That(waiting.IsCompleted, Is.False);
            var daemon = await n.StartDiscoverableActor("cs-later", [typeof(Work)]);
            var portal = await waiting.WaitAsync(Bound);
            Assert.That(portal.Pid, Is.EqualTo(daemon.Pid));
            await daemon.CancelActor();
        }).WaitAsync(Bound);

        never.Cancel();
        await Throws<OperationCanceledException>(() => waitingInVain);
    }

    [Test]
    public async Task AnActorClusterServesThroughItsMapAndReapsEveryWorker()
    {
        var pids = await Tractor.OpenActorCluster([typeof(Work)], async portals =>
        {
            Assert.That(portals.Keys.Order(), Is.EqualTo(new[] { "worker_0", "worker_1" }));
            foreach (var portal in portals.Values)
                Assert.That(await portal.Run(Work.Pid), Is.EqualTo(portal.Pid));
            return portals.Values.Select(p => p.Pid).ToArray();
        }, count: 2).WaitAsync(Bound);

        Assert.That(pids.Distinct().Count(), Is.EqualTo(2));
        foreach (var pid in pids)
            Assert.That(Gone(pid), $"worker pid {pid} was reaped");
    }

    [Test]
    public void TheCurrentActorShowsItsRegistry() =>
        Assert.That(Tractor.CurrentActor.Registry, Is.EqualTo(Environment.GetEnvironmentVariable("TRACTOR_REGISTRY")));
}
