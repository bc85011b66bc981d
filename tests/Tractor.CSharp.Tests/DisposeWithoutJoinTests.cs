using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary><c>await using</c> without <c>JoinAsync</c>: the body failed, so dispose cancels and reaps everything.</summary>
public class DisposeWithoutJoinTests
{
    [Test]
    public async Task AnExceptionInTheBodyCancelsAndReapsEveryChild()
    {
        int daemonPid = 0, sleeperPid = 0;
        var e = await Throws<ApplicationException>(async () =>
        {
            await using var n = await Tractor.OpenNursery();
            var daemon = await n.StartActor("never-cancelled", [typeof(Work)]);
            var sleeper = await n.RunInActor(Work.Forever, name: "sleeper");
            (daemonPid, sleeperPid) = (daemon.Pid, sleeper.Pid);
            throw new ApplicationException("body failed");
        });

        Assert.That(e.Message, Is.EqualTo("body failed"), "the body's own exception came out");
        Assert.That(Gone(daemonPid) && Gone(sleeperPid), "both children were reaped before dispose returned");
    }

    [Test]
    public async Task LeavingWithoutJoinCancelsTooAndDoesNotHang()
    {
        int pid = 0;
        await ((Func<Task>)(async () =>
        {
            await using var n = await Tractor.OpenNursery();
            pid = (await n.StartActor("forgotten", [typeof(Work)])).Pid;
        }))().WaitAsync(Bound);

        Assert.That(Gone(pid));
    }

    [Test]
    public async Task AChildsErrorThatCancelledTheBodyComesOutOfDispose()
    {
        var e = await Throws<RemoteActorError>(async () =>
        {
            await using var n = await Tractor.OpenNursery();
            var waiter = await n.StartActor("waiter", [typeof(Work)]);
            await n.RunInActor(Work.FailSoon, "child failed", name: "failing");
            // Cancelled (raising OperationCanceledException in the body) when the child's error cancels the nursery.
            await waiter.Run(Work.Forever);
        });

        Assert.That(e.RemoteMessage, Is.EqualTo("child failed"));
        Assert.That(e.Source.Name, Is.EqualTo("failing"));
    }
}
