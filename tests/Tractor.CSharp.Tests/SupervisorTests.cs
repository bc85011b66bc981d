using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Functions the supervisor tests run in supervised actors.</summary>
public static class SupervisedWork
{
    /// <summary>Fails its first <paramref name="failures"/> attempts (counted in the file <paramref name="counter"/>,
    /// since each attempt is a new process), then returns the attempt's number.</summary>
    public static Task<int> Flaky(string counter, int failures)
    {
        var n = (File.Exists(counter) ? int.Parse(File.ReadAllText(counter)) : 0) + 1;
        File.WriteAllText(counter, n.ToString());
        return n <= failures ? throw new InvalidOperationException($"attempt {n} failed") : Task.FromResult(n);
    }

    /// <summary>Ends the process with <paramref name="code"/> while the call is in flight.</summary>
    public static async Task<int> Exit(int code)
    {
        await Task.Yield();
        Environment.Exit(code);
        return 0;
    }
}

/// <summary>Supervisors from C#: restarts by policy, escalation, a portal that follows its actor, events.</summary>
public class SupervisorTests
{
    static string NewCounter() => Path.Combine(Path.GetTempPath(), $"tractor-cs-supervision-{Guid.NewGuid():N}.count");

    [Test]
    public async Task AFlakyWorkerIsRestartedUntilItSucceeds()
    {
        var counter = NewCounter();
        var events = new List<SupervisorEvent>();
        try
        {
            var value = await Tractor.OpenSupervisor(new SupervisorOptions { MaxRestarts = 5 }, async s =>
            {
                s.OnEvent(e => { lock (events) events.Add(e); });
                var worker = await s.SuperviseRun(SupervisedWork.Flaky, counter, 2, name: "flaky");
                return await worker.Result();
            }).WaitAsync(Bound);

            Assert.That(value, Is.EqualTo(3));
            Assert.That(events.Count(e => e.Kind == SupervisorEventKind.Restarted), Is.EqualTo(2));
            Assert.That(events.Last().Reason, Is.EqualTo(ExitReason.Normal));
            Assert.That(events.All(e => e.Child == "flaky"));
        }
        finally
        {
            File.Delete(counter);
        }
    }

    [Test]
    public async Task PastTheRestartIntensityTheLastErrorReachesTheCaller()
    {
        var counter = NewCounter();
        var kinds = new List<SupervisorEventKind>();
        try
        {
            var error = await Throws<RemoteActorError>(() => Tractor.OpenSupervisor(
                new SupervisorOptions { MaxRestarts = 1, Strategy = SupervisionStrategy.OneForAll },
                async s =>
                {
                    s.OnEvent(e => { lock (kinds) kinds.Add(e.Kind); });
                    var worker = await s.SuperviseRun(SupervisedWork.Flaky, counter, 100);
                    await worker.Result();
                }));

            Assert.That(error.Message, Does.Contain("attempt 2 failed"));
            Assert.That(kinds.Last(), Is.EqualTo(SupervisorEventKind.Escalated));
        }
        finally
        {
            File.Delete(counter);
        }
    }

    [Test]
    public async Task ACrashedDaemonIsRestartedAndItsPortalFollowsIt()
    {
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int first = 0, second = 0, firstPid = 0, secondPid = 0;
        Exception? inFlight = null;

        await Tractor.OpenSupervisor(async s =>
        {
            s.OnEvent(e => { if (e.Kind == SupervisorEventKind.Restarted) restarted.TrySetResult(); });
            var daemon = await s.SuperviseActor("daemon", [typeof(SupervisedWork), typeof(Work)]);
            first = await daemon.Run(Work.Pid);
            firstPid = daemon.Pid;
            try
            {
                await daemon.Run(SupervisedWork.Exit, 3);
            }
            catch (Exception e)
            {
                inFlight = e;
            }
            await restarted.Task.WaitAsync(Bound);
            second = await daemon.Run(Work.Pid);
            secondPid = daemon.Pid;
            s.Cancel();
        }).WaitAsync(Bound);

        Assert.That(inFlight, Is.InstanceOf<ActorDiedError>());
        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That((firstPid, secondPid), Is.EqualTo((first, second)), "the portal's Pid follows the restart");
        Assert.That(Gone(first) && Gone(second), "every process is reaped when the supervisor ends");
    }
}
