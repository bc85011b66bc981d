using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary><see cref="Tractor.CurrentActor"/> at the root and inside child actors.</summary>
public class CurrentActorTests
{
    [Test]
    public void AtTheRootTheActorIsTheRoot()
    {
        var me = Tractor.CurrentActor;
        Assert.That(me.IsRoot, Is.True);
        Assert.That(me.Parent, Is.Null);
        Assert.That(me.Name, Is.EqualTo("root"));
        Assert.That(me.Pid, Is.EqualTo(Environment.ProcessId));
        Assert.That(me.Uid, Is.Not.Empty);
        Assert.That(Tractor.CurrentActor.Uid, Is.EqualTo(me.Uid), "one root actor per process");
    }

    [Test]
    public async Task InsideAChildTheActorIsTheChild()
    {
        var root = Tractor.CurrentActor;
        await Tractor.OpenNursery(async n =>
        {
            var named = await n.RunInActor(Work.MyName, name: "named-child");
            var byFunction = await n.RunInActor(Work.MyName);
            var facts = await n.RunInActor(Work.Facts, name: "facts");

            Assert.That(await named.Result(), Is.EqualTo("named-child"));
            Assert.That(await byFunction.Result(), Is.EqualTo(nameof(Work.MyName)));

            var f = await facts.Result();
            Assert.That(f.Name, Is.EqualTo("facts"));
            Assert.That(f.IsRoot, Is.False);
            Assert.That(f.Uid, Is.EqualTo(facts.Actor.Uid));
            Assert.That(f.Pid, Is.EqualTo(facts.Pid));
            Assert.That(f.ParentName, Is.EqualTo(root.Name));
            Assert.That(f.ParentUid, Is.EqualTo(root.Uid));
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task TheCurrentActorsOwnPortalRunsCallsHereAndRefusesAContextWithItself()
    {
        var me = Tractor.CurrentActor.Portal;
        Assert.That(me.Actor, Is.EqualTo(Tractor.CurrentActor.Id));
        Assert.That(await me.Run(Work.Add, 2, 3), Is.EqualTo(5));

        var e = await Throws<InvalidOperationException>(() => me.OpenContextAsync<int, int, int>(StreamWork.PingPong, 10));
        Assert.That(e.Message, Does.Contain($"'{Tractor.CurrentActor.Id}'").And.Contain("from itself"));
    }
}
