using System.Collections.Concurrent;
using System.Diagnostics;
using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

/// <summary>Functions the tracing tests run in child actors.</summary>
public static class TracingWork
{
    /// <summary>"traceId parentSpanId" of the call's span in the child, or "none".</summary>
    public static Task<string> Here() =>
        Task.FromResult(Activity.Current is { } a ? $"{a.TraceId} {a.ParentSpanId}" : "none");
}

/// <summary>A C# root listening to the <c>TractorNet</c> ActivitySource sees its call's span continued in the
/// child process.</summary>
[NonParallelizable]
public class TracingTests
{
    [Test]
    public async Task TheChildsSpanIsAChildOfTheRootsCall()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Tracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var place = await Tractor.OpenNursery(async n =>
        {
            var p = await n.RunInActor(TracingWork.Here, name: "csharp_traced");
            return await p.Result();
        }).WaitAsync(Bound);

        var call = spans.First(a => a.OperationName == nameof(TracingWork.Here));
        Assert.That(place, Is.EqualTo($"{call.TraceId} {call.SpanId}"));
        Assert.That(call.Kind, Is.EqualTo(ActivityKind.Client));
    }
}
