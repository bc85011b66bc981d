namespace TractorNet.Examples;

/// <summary>Supervisors (no tractor example: tractor's oldest open wish, its issue #22): a flaky worker is restarted
/// one-for-one, each time in a new process, until it succeeds; a steady sibling is left alone.</summary>
static class SupervisedWorkers
{
    public static readonly Example Example = new(
        "supervised-workers",
        "A flaky worker restarted one-for-one by a supervisor until it succeeds.",
        Run);

    /// <summary>Fails its first two attempts, then returns the attempt's number (attempts are counted in a file: each
    /// runs in a new process).</summary>
    public static Task<int> FlakyWorker(string counter)
    {
        var attempt = (File.Exists(counter) ? int.Parse(File.ReadAllText(counter)) : 0) + 1;
        File.WriteAllText(counter, attempt.ToString());
        if (attempt < 3) throw new InvalidOperationException($"flaky worker crashed on attempt {attempt}");
        return Task.FromResult(attempt);
    }

    /// <summary>Does its job at the first attempt.</summary>
    public static Task<string> SteadyWorker() => Task.FromResult($"steady worker done in pid {Environment.ProcessId}");

    static async Task Run(string[] args)
    {
        var counter = Path.Combine(Path.GetTempPath(), $"supervised-workers-{Guid.NewGuid():N}");
        var policy = new SupervisorOptions { Strategy = SupervisionStrategy.OneForOne, MaxRestarts = 5 };
        try
        {
            var (attempts, steady) = await Tractor.OpenSupervisor(policy, async s =>
            {
                s.OnEvent(e => Console.WriteLine($"  event: {e}"));
                var flaky = await s.SuperviseRun(FlakyWorker, counter, name: "flaky");
                var steadyPortal = await s.SuperviseRun(SteadyWorker);
                return (await flaky.Result(), await steadyPortal.Result());
            });

            Console.WriteLine($"flaky worker succeeded on attempt {attempts}; {steady}");
            if (attempts != 3) throw new Exception($"expected success on the third attempt, got {attempts}");
        }
        finally
        {
            File.Delete(counter);
        }
    }
}
