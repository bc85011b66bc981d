namespace TractorNet.CSharp.Tests;

/// <summary>Functions the actor tests run in child processes (a plain static class: the child resolves them by name).</summary>
public static class Work
{
    public static Task<int> Pid() => Task.FromResult(Environment.ProcessId);

    public static Task<int> Add(int a, int b) => Task.FromResult(a + b);

    public static async Task<string> Greet(string greeting, string name, int times)
    {
        await Task.Yield();
        return string.Join(" ", Enumerable.Repeat($"{greeting} {name}", times));
    }

    public static ValueTask<long> Square(long x) => ValueTask.FromResult(x * x);

    public static string Upper(string s) => s.ToUpperInvariant();

    public static Task Nothing() => Task.CompletedTask;

    public static Task<T> Echo<T>(T value) => Task.FromResult(value);

    public static Task<int> Fail(string message) => throw new InvalidOperationException(message);

    public static async Task<int> FailSoon(string message)
    {
        await Task.Yield();
        throw new InvalidOperationException(message);
    }

    /// <summary>Waits until the call (or its actor) is cancelled; ten minutes is only a bound.</summary>
    public static async Task<int> Forever()
    {
        await Task.Delay(TimeSpan.FromMinutes(10), CancelScope.CurrentToken);
        return 0;
    }

    public static Task<string> MyName() => Task.FromResult(Tractor.CurrentActor.Name);

    public static Task<ActorFacts> Facts()
    {
        var me = Tractor.CurrentActor;
        return Task.FromResult(new ActorFacts(me.Name, me.Uid, me.Pid, me.IsRoot, me.Parent?.Name, me.Parent?.Uid));
    }

}

/// <summary>What an actor knows about itself, sent back to the test.</summary>
public sealed record ActorFacts(string Name, string Uid, int Pid, bool IsRoot, string? ParentName, string? ParentUid);

/// <summary>A type that the tests' daemons do not enable.</summary>
public static class NotEnabled
{
    public static Task<int> Secret() => Task.FromResult(42);
}

/// <summary>Holds an instance method, to check that it is refused.</summary>
public sealed class Counter
{
    int n;
    public Task<int> Next() => Task.FromResult(++n);
}
