using static TractorNet.CSharp.Tests.ActorTestSupport;

namespace TractorNet.CSharp.Tests;

static class StreamTestSupport
{
    /// <summary>Runs <paramref name="body"/> (bounded) with a daemon that enables <see cref="StreamWork"/>, then
    /// cancels the daemon.</summary>
    public static Task<T> WithDaemon<T>(string name, Func<ActorPortal, Task<T>> body) =>
        Tractor.OpenNursery(async n =>
        {
            var portal = await n.StartActor(name, [typeof(StreamWork)]);
            try
            {
                return await body(portal);
            }
            finally
            {
                await portal.CancelActor();
            }
        }).WaitAsync(Bound);

    /// <summary>Like <see cref="WithDaemon{T}"/> for a body without a value.</summary>
    public static Task WithDaemon(string name, Func<ActorPortal, Task> body) =>
        WithDaemon(name, async p => { await body(p); return true; });

    /// <summary>Reads <paramref name="source"/> to its end.</summary>
    public static async Task<List<T>> ReadAll<T>(IAsyncEnumerable<T> source)
    {
        var items = new List<T>();
        await foreach (var x in source) items.Add(x);
        return items;
    }
}
