using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>The two ways to open an actor nursery from C#: the lambda form and <c>await using</c> + <c>JoinAsync</c>.</summary>
public class NurseryFormsTests
{
    [Test]
    public async Task TheLambdaFormReturnsTheChildsValue()
    {
        int childPid = 0;
        var pid = await Tractor.OpenNursery(async n =>
        {
            var portal = await n.RunInActor(Work.Pid);
            childPid = portal.Pid;
            return await portal.Result();
        }).WaitAsync(Bound);

        Assert.That(pid, Is.Not.EqualTo(Environment.ProcessId));
        Assert.That(pid, Is.EqualTo(childPid));
        Assert.That(Gone(childPid), "the child's process was reaped when the nursery ended");
    }

    [Test]
    public async Task TheJoinFormReturnsTheChildsValue()
    {
        int pid, childPid;
        await using (var n = await Tractor.OpenNursery())
        {
            var portal = await n.RunInActor(Work.Pid);
            childPid = portal.Pid;
            pid = await portal.Result().WaitAsync(Bound);
            await n.JoinAsync().WaitAsync(Bound);
        }

        Assert.That(pid, Is.Not.EqualTo(Environment.ProcessId));
        Assert.That(pid, Is.EqualTo(childPid));
        Assert.That(Gone(childPid));
    }

    [Test]
    public async Task JoinAsyncWaitsForEveryResultAndThenTheNurseryIsClosed()
    {
        await using var n = await Tractor.OpenNursery();
        var sum = await n.RunInActor(Work.Add, 20, 22);
        var greeting = await n.RunInActor(Work.Greet, "hi", "bob", 2, name: "greeter");
        await n.JoinAsync().WaitAsync(Bound);

        Assert.That(sum.Result().IsCompletedSuccessfully, "JoinAsync returned before a child's result");
        Assert.That(await sum.Result(), Is.EqualTo(42));
        Assert.That(greeting.Name, Is.EqualTo("greeter"));
        Assert.That(await greeting.Result(), Is.EqualTo("hi bob hi bob"));
        Assert.That(Gone(sum.Pid) && Gone(greeting.Pid));

        var closed = await Throws<InvalidOperationException>(() => n.RunInActor(Work.Pid));
        Assert.That(closed.Message, Does.Contain("closed"));
    }

    [Test]
    public async Task FunctionsReturningTaskValueTaskOrAPlainValueRunInActors()
    {
        var (square, upper) = await Tractor.OpenNursery(async n =>
        {
            var nothing = await n.RunInActor(Work.Nothing);
            var square = await n.RunInActor(Work.Square, 12L);
            var upper = await n.RunInActor(Work.Upper, "quiet");
            await nothing.Result();
            return (await square.Result(), await upper.Result());
        }).WaitAsync(Bound);

        Assert.That(square, Is.EqualTo(144L));
        Assert.That(upper, Is.EqualTo("QUIET"));
    }

    [Test]
    public async Task TheLambdaFormAbsorbsItsOwnCancellation()
    {
        int pid = 0;
        await Tractor.OpenNursery(async n =>
        {
            var sleeper = await n.RunInActor(Work.Forever);
            pid = sleeper.Pid;
            n.Cancel();
            await sleeper.Result(); // raises the cancellation, which the nursery absorbs
        }).WaitAsync(Bound);

        Assert.That(Gone(pid));
    }

    [Test]
    public async Task ACallAwaitedInACancelledNurseryHasEndedWhenTheNurseryReturns()
    {
        await Tractor.OpenNursery(async outer =>
        {
            // The daemon outlives the inner nursery: the call ends only when the cancellation has
            // travelled to it and its answer back.
            var d = await outer.StartActor("outer-daemon", [typeof(Work)]);
            Task<int>? call = null;
            await Tractor.OpenNursery(async n =>
            {
                call = d.Run(Work.Forever);
                n.Cancel();
                await call;
            }).WaitAsync(Bound);

            Assert.That(call!.IsCompleted, Is.True, "the call outlived the nursery");
            await d.CancelActor();
        }).WaitAsync(Bound);
    }
}
