using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Only static method groups can run in another actor: lambdas and instance methods are refused clearly.</summary>
public class StaticFunctionOnlyTests
{
    [Test]
    public async Task RunInActorRefusesALambda()
    {
        var e = await Throws<ArgumentException>(() => Tractor.OpenNursery(async n =>
        {
            await n.RunInActor(() => Task.FromResult(1));
        }));

        Assert.That(e.Message, Does.Contain("lambda").And.Contain("static method group"));
        Assert.That(e.ParamName, Is.EqualTo("function"));
    }

    [Test]
    public async Task RunInActorRefusesALambdaCapturingALocalAndAStaticLambda()
    {
        var x = 41;
        await Tractor.OpenNursery(async n =>
        {
            var captured = await Throws<ArgumentException>(() => n.RunInActor(() => Task.FromResult(x + 1)));
            var noCapture = await Throws<ArgumentException>(() => n.RunInActor(static () => Task.FromResult(2)));
            Assert.That(captured.Message, Does.Contain("static method group"));
            Assert.That(noCapture.Message, Does.Contain("static method group"));
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task ADaemonRefusesALambdaAndAnInstanceMethodAndKeepsServing()
    {
        var counter = new Counter();
        await Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("strict", [typeof(Work)]);
            var lambda = await Throws<ArgumentException>(() => d.Run((int a) => Task.FromResult(a), 1));
            var instance = await Throws<ArgumentException>(() => d.Run(counter.Next));

            Assert.That(lambda.Message, Does.Contain("lambda").And.Contain("static method group"));
            Assert.That(instance.Message, Does.Contain("instance method 'Counter.Next'").And.Contain("static method group"));
            Assert.That(await d.Run(Work.Add, 1, 2), Is.EqualTo(3));
            await d.CancelActor();
        }).WaitAsync(Bound);
    }
}
