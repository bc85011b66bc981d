using System.Runtime.InteropServices;
using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Errors raised in child actors arrive as <see cref="RemoteActorError"/>.</summary>
public class RemoteErrorTests
{
    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [Test]
    public async Task ADaemonStoppedFromOutsideBySigtermIsReportedAsStoppedBySigterm()
    {
        var e = await Throws<ActorDiedError>(() => Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("terminated", [typeof(Work)]);
            Assert.That(Kill(d.Pid, 15), Is.EqualTo(0));
            await Task.Delay(Timeout.Infinite, n.Token);
        }).WaitAsync(Bound));

        Assert.That(e.Signal, Is.EqualTo(15));
        Assert.That(e.ExitCode, Is.EqualTo(143));
        Assert.That(e.Message, Does.Contain("'terminated").And.Contain("stopped by SIGTERM"));
    }

    [Test]
    public async Task ADaemonCallsErrorArrivesAsRemoteActorErrorAndTheDaemonLivesOn()
    {
        await Tractor.OpenNursery(async n =>
        {
            var frank = await n.StartActor("frank", [typeof(Work)]);
            var e = await Throws<RemoteActorError>(() => frank.Run(Work.Fail, "boom"));

            Assert.That(e.TypeName, Is.EqualTo(typeof(InvalidOperationException).FullName));
            Assert.That(e.RemoteMessage, Is.EqualTo("boom"));
            Assert.That(e.Source, Is.EqualTo(frank.Actor));
            Assert.That(e.Source.Name, Is.EqualTo("frank"));
            Assert.That(e.BoxedType, Is.EqualTo(typeof(InvalidOperationException)));
            Assert.That(e.RemoteStackTrace, Does.Contain(nameof(Work.Fail)));
            Assert.That(e.Message, Does.Contain("boom").And.Contain("frank"));

            Assert.That(await frank.Run(Work.Add, 1, 2), Is.EqualTo(3), "a caught error does not break the daemon");
            await frank.CancelActor();
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task AFailingChildEndsTheNurseryWithItsErrorAndCancelsTheRest()
    {
        int daemonPid = 0;
        var e = await Throws<RemoteActorError>(() => Tractor.OpenNursery(async n =>
        {
            // Never cancelled by the body: only the child's error can end this nursery.
            var idle = await n.StartActor("idle", [typeof(Work)]);
            daemonPid = idle.Pid;
            var failing = await n.RunInActor(Work.FailSoon, "child failed", name: "failing");
            await failing.Result();
        }));

        Assert.That(e.Source.Name, Is.EqualTo("failing"));
        Assert.That(e.RemoteMessage, Is.EqualTo("child failed"));
        Assert.That(Gone(daemonPid), "the daemon was cancelled and reaped");
    }

    [Test]
    public async Task JoinAsyncRaisesAChildsErrorAndDisposeDoesNotRaiseItAgain()
    {
        var n = await Tractor.OpenNursery();
        await n.RunInActor(Work.FailSoon, "late failure", name: "late");
        var e = await Throws<RemoteActorError>(() => n.JoinAsync());
        Assert.That(e.RemoteMessage, Is.EqualTo("late failure"));
        await n.DisposeAsync().AsTask().WaitAsync(Bound);
        await n.DisposeAsync().AsTask().WaitAsync(Bound);
    }
}
