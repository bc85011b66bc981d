using System.Diagnostics;

namespace TractorNet.Examples;

static class TaskNurseryExample
{
    public static readonly Example Example = new(
        "task-nursery",
        "Several tasks in a nursery; one fails, the others are cancelled and awaited.",
        Run);

    static async Task Worker(string name, int ms, CancellationToken ct)
    {
        try
        {
            await Task.Delay(ms, ct);
            Console.WriteLine($"  {name}: finished");
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine($"  {name}: cancelled");
            // Cleanup that must finish even though we are being cancelled.
            await CancelScopes.Shield(_ => Task.Delay(20));
            Console.WriteLine($"  {name}: cleaned up");
            throw;
        }
    }

    static async Task Run(string[] args)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            await TaskNursery.OpenAsync(async n =>
            {
                n.StartSoon(ct => Worker("fast", 10, ct));
                n.StartSoon(ct => Worker("slow", 10_000, ct));
                n.StartSoon(ct => Worker("slower", 20_000, ct));
                n.StartSoon(async ct =>
                {
                    await Task.Delay(50, ct);
                    Console.WriteLine("  flaky: failing");
                    throw new InvalidOperationException("flaky worker gave up");
                });
                var answer = await n.StartChild(async ct => { await Task.Delay(1, ct); return 42; });
                Console.WriteLine($"body: started 5 tasks; one answered {answer}");
            });
            throw new Exception("the nursery should have raised the worker's error");
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine($"nursery raised: {e.Message} (after {sw.ElapsedMilliseconds} ms, every task ended)");
            if (sw.Elapsed > TimeSpan.FromSeconds(5)) throw new Exception("the slow tasks were not cancelled");
        }

        var (completed, _) = await CancelScopes.MoveOnAfter(TimeSpan.FromMilliseconds(50), async ct =>
        {
            await Task.Delay(10_000, ct);
            return "slow";
        });
        Console.WriteLine($"MoveOnAfter: completed = {completed}");
    }
}
