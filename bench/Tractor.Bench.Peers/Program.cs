// The peers in our bench: the request/response and one-way scenarios of bench/Tractor.Bench
// (`portal.call`, `stream.oneway`) on Akka.NET and Proto.Actor, each side a real OS process (this
// executable started again with a hidden flag), with a raw loopback TCP baseline between the same
// two processes measured in the same run. A scenario that fails prints no figure and makes the
// process exit non-zero.
//   dotnet run -c Release --project bench/Tractor.Bench.Peers -- <scenario|peer|request|oneway|all> [--quick]
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace TractorNet.Bench.Peers;

/// <summary>One scenario: its bench name and how to measure it.</summary>
sealed record Scenario(string Name, Func<bool, Task<Figure>> Run);

static class Program
{
    static readonly IPeer[] Peers = [new AkkaPeer(), new ProtoPeer()];

    static readonly Scenario[] Scenarios =
    [
        .. Peers.SelectMany(peer => new[]
        {
            new Scenario($"{peer.Name}.request", quick => Measure(peer, $"{peer.Name}.request", quick, PeerBatches.RequestsOn, RawSocket.PingPong,
                "round trips/s", "raw TCP ping-pong (8 bytes each way) between the same two processes")),
            new Scenario($"{peer.Name}.oneway", quick => Measure(peer, $"{peer.Name}.oneway", quick, c => c.OnewayBatch, RawSocket.Oneway,
                "msgs/s", "raw batched TCP stream of 8-byte numbered messages between the same two processes, counted and checked at the receiver")),
        }),
    ];

    /// <summary>
    /// Starts the peer's server process and its client, measures the peer's batches interleaved with
    /// the raw baseline's, and returns the figure only if nothing failed: no batch threw, neither side
    /// saw a dead letter, an error or a message out of order, and both shut down cleanly.
    /// </summary>
    static async Task<Figure> Measure(IPeer peer, string name, bool quick, Func<IPeerClient, Batch> batchOf,
        Func<int, Task<(Batch Batch, IDisposable Connection)>> rawOf, string unit, string baselineName)
    {
        var clock = Stopwatch.StartNew();
        var server = await ServerProcess.Start(peer);
        IPeerClient? client = null;
        TimeSpan started = default, measured = default;
        (double Seconds, bool Quiet) warm = default;
        Exception? error = null;
        (double Value, double Baseline) rates = default;
        try
        {
            client = await peer.Connect(server.PeerAddress);
            var (raw, connection) = await rawOf(server.RawPort);
            started = clock.Elapsed;
            using (connection)
            {
                var batch = batchOf(client);
                warm = await Interleave.WarmUp(quick, batch, raw, async () => Interleave.CompiledMethods() + await server.CompiledMethods());
                rates = await Interleave.Rates(quick, batch, raw);
            }
            measured = clock.Elapsed;
            if (client.Failure is string f) throw new InvalidOperationException($"{peer.Name} client: {f}");
            await server.CheckVerdict();
        }
        catch (Exception e)
        {
            error = e;
        }
        // The client leaves first, then the server: neither sees the other vanish mid-connection.
        if (client is not null)
            try { await client.DisposeAsync(); } catch (Exception e) { error ??= e; }
        try { await server.DisposeAsync(); } catch (Exception e) { error ??= e; }
        if (error is not null) ExceptionDispatchInfo.Throw(error);
        Console.Error.WriteLine($"{name}: baseline: {baselineName}, interleaved in the same run");
        Console.Error.WriteLine($"{name}: start {started.TotalSeconds:F1} s, warm-up {warm.Seconds:F1} s ({(warm.Quiet ? "JIT quiet" : "JIT still compiling at the limit")}), "
            + $"measure {(measured - started).TotalSeconds - warm.Seconds:F1} s, shutdown {(clock.Elapsed - measured).TotalSeconds:F1} s");
        return new Figure(name, rates.Value, unit, rates.Baseline);
    }

    static async Task<int> Main(string[] args)
    {
        Report.ReserveStdout();
        if (args is [ServerProcess.Flag, var peerName])
            return await ServerProcess.Run(Peers.Single(p => p.Name == peerName));

        bool quick = args.Contains("--quick");
        var names = args.Where(a => !a.StartsWith("--")).ToArray();
        if (names.Length != 1)
        {
            Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Tractor.Bench.Peers -- <scenario|peer|request|oneway|all> [--quick]");
            return 2;
        }
        var chosen = names[0] == "all" ? Scenarios : Scenarios.Where(s => s.Name == names[0] || s.Name.StartsWith(names[0] + ".") || s.Name.EndsWith("." + names[0])).ToArray();
        if (chosen.Length == 0)
        {
            Console.Error.WriteLine($"unknown scenario '{names[0]}'; known: {string.Join(", ", Scenarios.Select(s => s.Name))}");
            return 2;
        }

        int failed = 0;
        foreach (var s in chosen)
        {
            try
            {
                Report.Emit(await s.Run(quick));
            }
            catch (Exception e)
            {
                // No figure for a run that saw a failure.
                failed++;
                Console.Error.WriteLine($"{s.Name}: FAILED, no figure reported: {e}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
