using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>A daemon runs only functions from the types it enabled.</summary>
public class ModuleNotEnabledTests
{
    [Test]
    public async Task AFunctionFromATypeTheDaemonDidNotEnableIsRefusedRemotely()
    {
        await Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("guarded", enableModules: [typeof(Work)]);
            var e = await Throws<RemoteActorError>(() => d.Run(NotEnabled.Secret));

            Assert.That(e.Source.Name, Is.EqualTo("guarded"));
            Assert.That(e.RemoteMessage, Does.Contain("not enabled").And.Contain("NotEnabled.Secret"));
            Assert.That(await d.Run(Work.Add, 1, 2), Is.EqualTo(3), "the refusal does not break the daemon");
            await d.CancelActor();
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task ADaemonEnabledByTypeNameRefusesOtherTypes()
    {
        await Tractor.OpenNursery(async n =>
        {
            var d = await n.StartActor("narrow", ["TractorNet.CSharp.Tests.NotEnabled"]);
            var e = await Throws<RemoteActorError>(() => d.Run(Work.Add, 1, 2));
            Assert.That(e.RemoteMessage, Does.Contain("not enabled").And.Contain("Work.Add"));
            Assert.That(await d.Run(NotEnabled.Secret), Is.EqualTo(42));
            await d.CancelActor();
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task AModuleNameThatNamesNothingLoadableFailsAtSpawnNamingIt()
    {
        var e = await Throws<ArgumentException>(() => Tractor.OpenNursery(async n =>
        {
            await n.StartActor("misspelt", ["TractorNet.CSharp.Tests.NotEnabld"]);
        }).WaitAsync(Bound));

        Assert.That(e.ParamName, Is.EqualTo("enableModules"));
        Assert.That(e.Message, Does.Contain("'TractorNet.CSharp.Tests.NotEnabld'"));
    }
}
