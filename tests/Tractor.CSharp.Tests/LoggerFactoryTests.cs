using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using static TractorNet.CSharp.Tests.ActorTestSupport;
using MelLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TractorNet.CSharp.Tests;

/// <summary>Functions the logging tests run in child actors.</summary>
public static class LoggingWork
{
    public static Task<int> SayHello()
    {
        Log.info("hello from a C# child");
        return Task.FromResult(1);
    }
}

/// <summary>A root's <see cref="ILoggerFactory"/> (<c>Log.UseLoggerFactory</c>) receives its children's records,
/// each naming its actor.</summary>
[NonParallelizable]
public class LoggerFactoryTests
{
    sealed class Capture : ILoggerFactory, ILogger
    {
        public readonly ConcurrentQueue<(string Category, string Text, Dictionary<string, object?> Properties)> Records = new();
        string category = "";
        public void AddProvider(ILoggerProvider provider) { }
        public ILogger CreateLogger(string categoryName) { category = categoryName; return this; }
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(MelLevel logLevel) => true;
        public void Log<TState>(MelLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IReadOnlyList<KeyValuePair<string, object?>> kvs
                ? kvs.ToDictionary(kv => kv.Key, kv => kv.Value)
                : [];
            Records.Enqueue((category, formatter(state, exception), properties));
        }
    }

    [Test]
    public async Task AChildsRecordsLandInTheRootsFactoryNamingTheActor()
    {
        var capture = new Capture();
        var before = Log.current();
        Log.setLevel(TractorNet.LogLevel.Info);
        Log.UseLoggerFactory(capture);
        try
        {
            await Tractor.OpenNursery(async n =>
            {
                var p = await n.RunInActor(LoggingWork.SayHello, name: "csharp_logger");
                await p.Result();
            }).WaitAsync(Bound);
        }
        finally
        {
            Log.UseStandardError();
            Log.setLevel(before);
        }

        var record = capture.Records.Single(r => r.Text.Contains("hello from a C# child"));
        Assert.That(record.Category, Is.EqualTo("TractorNet"));
        Assert.That(record.Properties["Actor"], Is.EqualTo("csharp_logger"));
        Assert.That(record.Text, Does.StartWith("[csharp_logger "));
    }
}
