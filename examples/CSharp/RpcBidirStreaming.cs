// tractor's "simple_rpc": a ping-pong server in a daemon actor, over a bidirectional context stream.
// The callee says Started(data + 1), then answers every "ping" with a "pong"; the caller sends ten pings, leaves
// its stream (`await using`: the server's loop ends) and reads the server's count. Leaving a context whose function
// still runs would cancel it.
namespace TractorNet.Examples;

static class RpcBidirStreaming
{
    public static readonly Example Example = new(
        "rpc-bidir-streaming",
        "Opens a context in a daemon and plays ten rounds of ping-pong over its bidirectional stream.",
        Run);

    /// <summary>The server side: a context function (its first parameter is the callee's Context).</summary>
    public static async Task<int> SimpleRpc(Context<int> ctx, int data)
    {
        await ctx.Started(data + 1);                          // like trio's task_status.started()
        await using var stream = ctx.OpenStream<string, string>();
        var count = 0;
        await foreach (var msg in stream)                     // ends when the caller stops its side
        {
            if (msg != "ping") throw new InvalidOperationException($"expected ping, got {msg}");
            await stream.Send("pong");
            count++;
        }
        return count;
    }

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var portal = await n.StartActor("rpc_server", [typeof(RpcBidirStreaming)]);
            // C# cannot infer Context<int> from a method group: the type arguments are SimpleRpc's, in order.
            await using (var ctx = await portal.OpenContextAsync<int, int, int>(SimpleRpc, 10))
            {
                if (ctx.First != 11) throw new InvalidOperationException($"started with {ctx.First}");
                await using (var stream = ctx.OpenStream<string, string>())
                {
                    await using var pongs = stream.GetAsyncEnumerator(default);
                    for (var i = 0; i < 10; i++)
                    {
                        await stream.Send("ping");
                        if (!await pongs.MoveNextAsync() || pongs.Current != "pong")
                            throw new InvalidOperationException("expected a pong");
                    }
                }                                             // our side stopped: the server's loop ends
                Console.WriteLine($"started with {ctx.First}; the server counted {await ctx.Result()} pings");
            }
            await portal.CancelActor();                       // explicitly tear down the daemon
        });
}
