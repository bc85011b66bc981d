// tractor's "infected_asyncio_echo_server": an echo server written as foreign (unstructured) Task code, bridged into
// a daemon actor with Tractor.OpenChannelFrom. The caller streams 1000 numbers through a context; the actor hands each
// to the foreign task and streams its echo back. Prints the mean round trip rate.
using System.Diagnostics;

namespace TractorNet.Examples;

static class ForeignEchoServer
{
    public static readonly Example Example = new(
        "foreign-echo-server",
        "Foreign Task code as an echo server inside an actor (OpenChannelFrom); mean round trip rate.",
        Run);

    const int Rounds = 1000;

    /// <summary>The foreign side: plain Task code. Its first message unblocks the structured side; then it echoes
    /// until the structured side cancels its token.</summary>
    public static async Task ForeignEcho(ForeignEnd<string, int, int> chan, CancellationToken ct)
    {
        chan.Started("start");
        while (true)
            await chan.SendAsync(await chan.ReceiveAsync());
    }

    /// <summary>The actor's context: bridges the caller's stream to the foreign echo server and back.</summary>
    public static Task<int> EchoThroughForeign(Context<string> ctx) =>
        Tractor.OpenChannelFrom<string, int, int, int>(ForeignEcho, async (first, chan) =>
        {
            await ctx.Started(first);
            await using var stream = ctx.OpenStream<int, int>();
            var served = 0;
            await foreach (var msg in stream)
            {
                await chan.SendAsync(msg);
                await stream.Send(await chan.ReceiveAsync());
                served++;
            }
            return served;
        });

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var portal = await n.StartActor("foreign_server", [typeof(ForeignEchoServer)]);
            await using (var ctx = await portal.OpenContextAsync<string, int>(EchoThroughForeign))
            {
                if (ctx.First != "start") throw new InvalidOperationException($"started with {ctx.First}");
                double seconds;
                await using (var stream = ctx.OpenStream<int, int>())
                {
                    await using var replies = stream.GetAsyncEnumerator(default);
                    var clock = Stopwatch.StartNew();
                    for (var count = 0; count < Rounds; count++)
                    {
                        await stream.Send(count);
                        if (!await replies.MoveNextAsync() || replies.Current != count)
                            throw new InvalidOperationException($"expected the echo of {count}");
                    }
                    seconds = clock.Elapsed.TotalSeconds;
                }                                             // our side stopped: the actor's loop ends
                var served = await ctx.Result();
                if (served != Rounds) throw new InvalidOperationException($"the server echoed {served}, expected {Rounds}");
                Console.WriteLine($"mean round trip rate (Hz): {Rounds / seconds:F0}");
            }
            await portal.CancelActor();
        });
}
