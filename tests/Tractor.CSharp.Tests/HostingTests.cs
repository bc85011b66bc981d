using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NUnit.Framework;
using TractorNet.Hosting;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Hosted code run as an actor's main: a BackgroundService computes a value and stops its host.</summary>
public static class HostedWork
{
    static int answer;

    sealed class Answer(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            answer = 6 * 7;
            lifetime.StopApplication();
        }
    }

    public static async Task<int> RunHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddHostedService<Answer>();
        await ActorHost.RunAsync(builder.Build());
        return answer;
    }
}

/// <summary>The root actor in a Generic Host (<c>services.AddTractor</c>), and a host as an actor's main.</summary>
[NonParallelizable]
public class HostingTests
{
    static IHost Build(Func<Nursery, IServiceProvider, Task> root)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddTractor(root, o => o.UseHostLogging = false);
        return builder.Build();
    }

    [Test]
    public async Task StoppingTheHostCancelsTheTreeAndWaitsUntilItIsReaped()
    {
        var pid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = false;
        using var host = Build(async (n, sp) =>
        {
            var d = await n.StartActor("hosted_daemon", [typeof(Work)]);
            pid.SetResult(d.Pid);
            try { await Task.Delay(Timeout.Infinite, n.Token); }
            finally { cancelled = n.Token.IsCancellationRequested; }
        });
        await host.StartAsync().WaitAsync(Bound);
        var daemon = await pid.Task.WaitAsync(Bound);
        Assert.That(Gone(daemon), Is.False);
        await host.StopAsync().WaitAsync(Bound);
        Assert.That(cancelled, Is.True);
        Assert.That(Gone(daemon), Is.True, "the daemon was reaped before StopAsync returned");
    }

    [Test]
    public async Task TheRootReturningStopsTheApplicationAndItsServicesAreScoped()
    {
        IServiceProvider? scoped = null;
        using var host = Build(async (n, sp) =>
        {
            scoped = sp;
            var p = await n.RunInActor(Work.Add, 1, 2);
            Assert.That(await p.Result(), Is.EqualTo(3));
        });
        await host.RunAsync().WaitAsync(Bound);
        Assert.That(scoped, Is.Not.Null.And.Not.SameAs(host.Services));
    }

    [Test]
    public async Task AnActorRunsAHostAsItsMain()
    {
        var answer = await Tractor.OpenNursery(async n =>
        {
            var p = await n.RunInActor(HostedWork.RunHost, name: "hosted_main");
            return await p.Result();
        }).WaitAsync(Bound);
        Assert.That(answer, Is.EqualTo(42));
    }
}
