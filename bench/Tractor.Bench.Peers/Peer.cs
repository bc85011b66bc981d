// What each peer implements: a server side (the second process) and a client side (the bench).
namespace TractorNet.Bench.Peers;

/// <summary>A peer actor library, both of its sides.</summary>
interface IPeer
{
    /// <summary>The prefix of its bench names ("akka", "proto").</summary>
    string Name { get; }

    /// <summary>In the server process: starts a remote-enabled actor system with an echo actor and a sink actor.</summary>
    Task<IPeerServer> Serve();

    /// <summary>In the bench process: starts a remote-enabled actor system that talks to the server at <paramref name="address"/>.</summary>
    Task<IPeerClient> Connect(string address);
}

/// <summary>The server process's actor system.</summary>
interface IPeerServer : IAsyncDisposable
{
    /// <summary>What the client needs to reach the echo and sink actors (one word).</summary>
    string Address { get; }

    /// <summary>
    /// The bench asks, with the client still connected: the first failure the server saw (a message
    /// out of order, a dead letter, an error logged), or null. The client leaves next; what its
    /// leaving causes on the server is no failure of the run.
    /// </summary>
    string? Verdict();
}

/// <summary>The bench process's actor system, connected to the server's actors.</summary>
interface IPeerClient : IAsyncDisposable
{
    /// <summary>One request/response round trip to the echo actor: n in, its answer (n + 1) out.</summary>
    Task<int> Request(int n);

    /// <summary>A run of one-way messages to the sink under the acknowledgement window, all acknowledged.</summary>
    Task<long> OnewayBatch();

    /// <summary>The first failure the client saw (a dead letter, an error logged, a failure the sink reported), or null.</summary>
    string? Failure { get; }
}

/// <summary>Sizes shared by both peers.</summary>
static class PeerBatches
{
    /// <summary>Round trips per request batch.</summary>
    public const int Requests = 100;

    /// <summary>How long one request may take before the run is called failed.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Batches of <see cref="Requests"/> round trips on <paramref name="client"/>, each answer checked.</summary>
    public static Batch RequestsOn(IPeerClient client)
    {
        int next = 0;
        return async () =>
        {
            for (int i = 0; i < Requests; i++)
            {
                int n = next++;
                int answer = await client.Request(n);
                if (answer != n + 1) throw new InvalidOperationException($"echo of {n} answered {answer}");
            }
            return Requests;
        };
    }
}

/// <summary>The first failure a side saw; thread-safe, first one wins.</summary>
sealed class FirstFailure
{
    string? reason;

    /// <summary>The first failure recorded, or null.</summary>
    public string? Reason => Volatile.Read(ref reason);

    /// <summary>Records a failure unless one is recorded already.</summary>
    public void Record(string what) => Interlocked.CompareExchange(ref reason, what, null);
}
