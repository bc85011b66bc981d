// One-way streaming from an async generator in another process: a C# `async IAsyncEnumerable<T>` iterator runs in
// a daemon actor and the parent consumes it with `await foreach`. Breaking out of the loop cancels the remote
// generator (its finally block runs there); each new loop runs the generator again.
namespace TractorNet.Examples;

static class AsynchronousGenerators
{
    public static readonly Example Example = new(
        "asynchronous-generators",
        "Streams an async iterator's items from a daemon actor; breaking out cancels the remote generator.",
        Run);

    /// <summary>An endless stream of random numbers below <paramref name="limit"/>, one every millisecond.</summary>
    public static async IAsyncEnumerable<int> StreamData(int limit)
    {
        var random = new Random(7);
        try
        {
            while (true)
            {
                yield return random.Next(limit);
                // The actor's cancellation (a break in the caller) reaches the generator through the ambient scope.
                await Task.Delay(1, CancelScope.CurrentToken);
            }
        }
        finally
        {
            Console.WriteLine($"[{Tractor.CurrentActor.Name}] generator cancelled");
        }
    }

    /// <summary>0, 1, ... count-1: a finite stream.</summary>
    public static async IAsyncEnumerable<int> Range(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var portal = await n.StartActor("donny", [typeof(AsynchronousGenerators)]);

            var seen = 0;
            await foreach (var x in portal.OpenStream(StreamData, 100))
            {
                Console.WriteLine($"got {x}");
                if (++seen == 10) break;                     // cancels StreamData in the actor, and waits for it
            }

            var sum = 0;
            await foreach (var i in portal.OpenStream(Range, 1000)) sum += i;
            Console.WriteLine($"sum of 0..999 streamed from '{portal.Name}': {sum}");
            if (sum != 999 * 1000 / 2) throw new InvalidOperationException("items were lost");

            await portal.CancelActor();
        });
}
