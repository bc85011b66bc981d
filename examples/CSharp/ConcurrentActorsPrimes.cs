// tractor's `concurrent_actors_primes.py`, its re-implementation of the std-lib's `ProcessPoolExecutor` primes
// example: a pool of one worker actor per core. Each worker holds a context with the root; the root deals the numbers
// out over the workers' streams and the verdicts stream back as they are found, then are checked against a local
// computation.
using System.Threading.Channels;

namespace TractorNet.Examples;

static class ConcurrentActorsPrimes
{
    public static readonly Example Example = new(
        "concurrent-actors-primes",
        "A worker pool, one actor per core: primality verdicts streamed back.",
        Run);

    /// <summary>A worker's answer for one number (a record struct: it travels as it is).</summary>
    public readonly record struct Verdict(long Number, bool IsPrime);

    static readonly long[] Primes =
    [
        112272535095293,
        112582705942171,
        112272535095293,
        115280095190773,
        115797848077099,
        1099726899285419,
    ];

    /// <summary>Trial division: deliberately CPU-bound.</summary>
    public static bool IsPrime(long n)
    {
        if (n < 2) return false;
        if (n % 2 == 0) return n == 2;
        var limit = (long)Math.Floor(Math.Sqrt(n));
        var d = 3L;
        while (d <= limit && n % d != 0) d += 2;
        return d > limit;
    }

    /// <summary>A worker: checks each number it receives and streams back its verdict until the pool stops sending;
    /// returns how many it checked.</summary>
    public static async Task<int> Worker(Context<int> ctx)
    {
        await ctx.Started(Environment.ProcessId);
        await using var stream = ctx.OpenStream<Verdict, long>();
        var count = 0;
        await foreach (var n in stream)
        {
            await stream.Send(new Verdict(n, IsPrime(n)));
            count++;
        }
        return count;
    }

    // The tasks print concurrently: Console.WriteLine writes a whole line at once.

    /// <summary>Deals <paramref name="numbers"/> round-robin to the workers and forwards their verdicts to
    /// <paramref name="results"/>.</summary>
    static void Deal(ActorPortal[] workers, long[] numbers, ChannelWriter<Verdict> results, TaskNursery n)
    {
        for (var w = 0; w < workers.Length; w++)
        {
            var portal = workers[w];
            var share = numbers.Where((_, j) => j % workers.Length == w).ToArray();
            n.StartSoon(async ct =>
            {
                await using var ctx = await portal.OpenContextAsync<int, int>(Worker, cancellationToken: ct);
                await using var stream = ctx.OpenStream<long, Verdict>();
                foreach (var x in share) await stream.Send(x);
                await stream.Stop();                    // no more work: the worker's loop ends after these
                await foreach (var verdict in stream) await results.WriteAsync(verdict, ct);
                var count = await ctx.Result();
                Console.WriteLine($"  {portal.Name} (pid {ctx.First}) checked {count} numbers");
            });
        }
    }

    static Task CheckAll(ActorPortal[] workers) =>
        TaskNursery.OpenAsync(async n =>
        {
            var results = Channel.CreateUnbounded<Verdict>();
            Deal(workers, Primes, results.Writer, n);

            // deliver results as they arrive
            foreach (var _ in Primes)
            {
                var (number, isPrime) = await results.Reader.ReadAsync(n.Token);
                Console.WriteLine($"{number} is prime: {isPrime}");
                if (isPrime != IsPrime(number)) throw new InvalidOperationException($"wrong verdict for {number}");
            }
        });

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var workers = await Task.WhenAll(Enumerable.Range(1, Environment.ProcessorCount)
                .Select(i => n.StartActor($"worker_{i}", [typeof(ConcurrentActorsPrimes)])));
            Console.WriteLine($"{workers.Length} workers, one per core");
            await CheckAll(workers);
            // the pool's daemons serve until cancelled
            await Task.WhenAll(workers.Select(w => w.CancelActor()));
        });
}
