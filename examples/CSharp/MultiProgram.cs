using System.Diagnostics;
using System.Reflection;

namespace TractorNet.Examples;

/// <summary>tractor's multi-program use: two programs started separately share one registry (and the per-user
/// cookie); the second finds an actor of the first by name and calls it.</summary>
static class MultiProgram
{
    public static readonly Example Example = new(
        "multi-program",
        "Two programs share one registry: the second finds the first's actor by name and calls it.",
        Run);

    /// <summary>What the first program's actor serves.</summary>
    public static Task<int> Increment(int n) => Task.FromResult(n + 1);

    static Task Run(string[] args) => args is ["--second"] ? Second() : First();

    /// <summary>The second program: finds "counter" (waiting for it, at most a minute) and calls it.</summary>
    static async Task Second()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var counter = await Tractor.WaitForActor("counter", timeout.Token);
        var value = await counter.Run(Increment, 41);
        Console.WriteLine($"second program (pid {Environment.ProcessId}): 'counter' (pid {counter.Pid}, a peer: {counter.IsPeer}) says {value}");
        if (value != 42)
            throw new InvalidOperationException($"expected 42, got {value}");
    }

    /// <summary>The first program: serves "counter", starts the second and waits for it.</summary>
    static Task First() =>
        Tractor.OpenNursery(async n =>
        {
            var counter = await n.StartDiscoverableActor("counter", [typeof(MultiProgram)]);
            Console.WriteLine($"first program (pid {Environment.ProcessId}): 'counter' (pid {counter.Pid}) is registered");
            using var other = StartSecond();
            await other.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            if (other.ExitCode != 0)
                throw new InvalidOperationException($"the second program failed (exit code {other.ExitCode})");
            await counter.CancelActor();
        });

    /// <summary>This program again, as a separate process (<c>dotnet &lt;runner&gt;.dll multi-program --second</c>).</summary>
    static Process StartSecond()
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        psi.ArgumentList.Add("multi-program");
        psi.ArgumentList.Add("--second");
        return Process.Start(psi)!;
    }
}
