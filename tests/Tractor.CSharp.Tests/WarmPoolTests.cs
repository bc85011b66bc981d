using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>SpawnMethod.WarmPool from C#: pooled actors behave like new ones (values, errors, cancellation,
/// streams); the pool refills; its idle processes are reaped with the nursery; one actor can come from the pool.</summary>
public class WarmPoolTests
{
    static string CommandLine(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return ""; }
    }

    const string Pooled = "--tractor-actor (pooled)";

    [Test]
    public async Task PooledActorsReturnValuesRaiseErrorsAndAreCancelled()
    {
        var hangerPid = 0;
        await Tractor.OpenNursery(async n =>
        {
            n.PoolSize = 2;
            n.SpawnMethod = SpawnMethod.WarmPool;
            await n.FillPoolAsync();
            var p = await n.RunInActor(Work.Add, 20, 22);
            Assert.That(await p.Result(), Is.EqualTo(42));

            var hanger = await n.RunInActor(Work.Forever);
            hangerPid = hanger.Pid;
            Assert.That(CommandLine(hangerPid), Does.Contain(Pooled), "the hanging actor came from the pool");
            n.Cancel();
        }).WaitAsync(Bound);
        Assert.That(Gone(hangerPid), "the cancelled pooled actor was reaped");

        var e = await Throws<RemoteActorError>(() => Tractor.OpenNursery(async n =>
        {
            n.SpawnMethod = SpawnMethod.WarmPool;
            var p = await n.RunInActor(Work.Fail, "pooled boom");
            await p.Result();
        }));
        Assert.That(e.RemoteMessage, Is.EqualTo("pooled boom"));
    }

    [Test]
    public async Task APooledDaemonStreams()
    {
        await Tractor.OpenNursery(async n =>
        {
            n.SpawnMethod = SpawnMethod.WarmPool;
            var d = await n.StartActor("streamer", [typeof(StreamWork)]);
            Assert.That(CommandLine(d.Pid), Does.Contain(Pooled));
            var items = new List<int>();
            await foreach (var x in d.OpenStream(StreamWork.Count, 0, 50)) items.Add(x);
            Assert.That(items, Is.EqualTo(Enumerable.Range(0, 50)));
            await d.CancelActor();
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task ThePoolRefillsAndItsIdleProcessesDieWithTheNursery()
    {
        var idle = new List<int>();
        await Tractor.OpenNursery(async n =>
        {
            n.PoolSize = 2;
            n.SpawnMethod = SpawnMethod.WarmPool;
            await n.FillPoolAsync();
            var p = await n.RunInActor(Work.Pid);
            var taken = await p.Result();
            await n.FillPoolAsync(); // refilled: two warm again, the taken one not among them
            idle.AddRange(OurIdlePooled(exclude: taken));
            Assert.That(idle, Has.Count.EqualTo(2));
        }).WaitAsync(Bound);

        foreach (var pid in idle)
            Assert.That(Gone(pid), $"idle pooled process {pid} was reaped with the nursery");
    }

    [Test]
    public async Task OneActorCanComeFromThePool()
    {
        await Tractor.OpenNursery(async n =>
        {
            n.SpawnMethod = SpawnMethod.NewProcess; // whatever TRACTOR_SPAWN_METHOD says for this run
            var pooled = await n.WithSpawnMethod(SpawnMethod.WarmPool).StartActor("pooled-daemon", [typeof(Work)]);
            var cold = await n.StartActor("cold-daemon", [typeof(Work)]);
            Assert.That(n.SpawnMethod, Is.EqualTo(SpawnMethod.NewProcess));
            Assert.That(CommandLine(pooled.Pid), Does.Contain(Pooled));
            Assert.That(CommandLine(cold.Pid), Does.Contain("cold-daemon"));
            Assert.That(await pooled.Run(Work.MyName), Is.EqualTo("pooled-daemon"), "the pooled process took its name from the spec");
            await pooled.CancelActor();
            await cold.CancelActor();
        }).WaitAsync(Bound);
    }

    [Test]
    public async Task APoolSizeIsCheckedAndFixedOnceThePoolHasStarted()
    {
        await Tractor.OpenNursery(async n =>
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => n.PoolSize = -1);
            Assert.Throws<ArgumentException>(() => n.SpawnMethod = (SpawnMethod)42);
            n.PoolSize = 1;
            n.SpawnMethod = SpawnMethod.WarmPool;
            await n.FillPoolAsync();
            Assert.Throws<InvalidOperationException>(() => n.PoolSize = 3);
        }).WaitAsync(Bound);
    }

    /// <summary>Child processes of this one that are idle in a pool (their command line still says so).</summary>
    static List<int> OurIdlePooled(int exclude)
    {
        var me = Environment.ProcessId.ToString();
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == exclude) continue;
            try
            {
                var ppid = File.ReadLines($"{dir}/status").FirstOrDefault(l => l.StartsWith("PPid:"))?.Substring(5).Trim();
                if (ppid == me && CommandLine(pid).Contains(Pooled)) found.Add(pid);
            }
            catch (IOException) { }
        }
        return found;
    }
}
