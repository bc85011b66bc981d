using NUnit.Framework;

namespace TractorNet.CSharp.Tests;

/// <summary>F# task sequences as a C# user meets them: plain IAsyncEnumerable&lt;T&gt;.</summary>
public class TaskSeqTests
{
    private static IEnumerable<int> Counted(List<string> log, int count)
    {
        try
        {
            for (var i = 0; i < count; i++)
            {
                log.Add($"pull {i}");
                yield return i;
            }
        }
        finally
        {
            log.Add("finally");
        }
    }

    [Test]
    public async Task AwaitForeachConsumesAnFSharpTaskSequence()
    {
        IAsyncEnumerable<int> numbers = TaskSeq.ofArray(new[] { 1, 2, 3 });
        var seen = new List<int>();
        await foreach (var n in numbers)
            seen.Add(n);
        Assert.That(seen, Is.EqualTo(new[] { 1, 2, 3 }));
    }

    [Test]
    public async Task BreakingOutOfAwaitForeachDisposesTheSequenceAndItsSource()
    {
        var log = new List<string>();
        IAsyncEnumerable<int> numbers = TaskSeq.ofSeq(Counted(log, 100));
        await foreach (var n in numbers)
            if (n == 1) break;
        Assert.That(log, Is.EqualTo(new[] { "pull 0", "pull 1", "finally" }));
    }

    [Test]
    public async Task WithCancellationStopsTheIterationWithOperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        var log = new List<string>();
        var seen = new List<int>();
        Assert.That(async () =>
        {
            await foreach (var n in TaskSeq.ofSeq(Counted(log, 100)).WithCancellation(cts.Token))
            {
                seen.Add(n);
                if (n == 2) cts.Cancel();
            }
        }, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(seen, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(log[^1], Is.EqualTo("finally"));
    }

    [Test]
    public async Task TaskSeqFunctionsTakeAndReturnPlainAsyncEnumerables()
    {
        async IAsyncEnumerable<int> Source()
        {
            for (var i = 0; i < 10; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }

        IAsyncEnumerable<int> firstFive = TaskSeq.take(5, Source());
        IAsyncEnumerable<int> shifted = TaskSeq.skip(2, firstFive);
        IAsyncEnumerable<int> both = TaskSeq.append(shifted, TaskSeq.singleton(42));
        Assert.That(await TaskSeq.toArrayAsync(both), Is.EqualTo(new[] { 2, 3, 4, 42 }));
        Assert.That(await TaskSeq.length(Source()), Is.EqualTo(10));
        Assert.That(await TaskSeq.isEmpty(TaskSeq.empty<int>()), Is.True);
    }
}
