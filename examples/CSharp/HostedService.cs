// A worker service in the Generic Host whose background work runs in child actors (no tractor original: the .NET
// door). services.AddTractor runs the root actor as a hosted service: it starts two workers, each counting primes in
// its own process, logs their results through the host's ILogger, and returns, which stops the application. Stopping
// the host early (Ctrl-C) would cancel the tree and wait until every actor is reaped.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TractorNet.Hosting;

namespace TractorNet.Examples;

static class HostedService
{
    public static readonly Example Example = new(
        "hosted-service",
        "A Generic Host worker service whose background work runs in child actors (services.AddTractor).",
        Run);

    /// <summary>A worker's job: how many primes lie in [from, to).</summary>
    public static Task<int> CountPrimes(int from, int to)
    {
        static bool IsPrime(int n)
        {
            if (n < 2) return false;
            for (var d = 2; d * d <= n; d++) if (n % d == 0) return false;
            return true;
        }
        return Task.FromResult(Enumerable.Range(from, to - from).Count(IsPrime));
    }

    static async Task Run(string[] args)
    {
        var total = 0;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        builder.Services.AddTractor(async (n, services) =>
        {
            var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("HostedService");
            var low = await n.RunInActor(CountPrimes, 0, 50_000, name: "worker_low");
            var high = await n.RunInActor(CountPrimes, 50_000, 100_000, name: "worker_high");
            var counts = await Task.WhenAll(low.Result(), high.Result());
            total = counts.Sum();
            log.LogWarning("the workers counted {Low} and {High} primes", counts[0], counts[1]);
        });
        await builder.Build().RunAsync();    // returns when the root's body is done
        if (total != 9592) throw new InvalidOperationException($"expected 9592 primes below 100000, got {total}");
        Console.WriteLine($"primes below 100000: {total}");
    }
}
