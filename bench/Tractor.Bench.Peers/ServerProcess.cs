// The second process of each scenario: this executable started again with a hidden flag. It
// serves a peer's actor system and a raw socket, prints one ready line, answers the bench's
// "verdict" line with the failures it saw so far, and lives until its standard input closes (the
// bench closing it, or the bench dying).
using System.Diagnostics;

namespace TractorNet.Bench.Peers;

sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>The hidden first argument that makes this executable a peer's server: <c>--peer-serve NAME</c>.</summary>
    public const string Flag = "--peer-serve";

    readonly Process process;

    /// <summary>What the peer's client connects to.</summary>
    public string PeerAddress { get; }

    /// <summary>The raw socket's loopback port.</summary>
    public int RawPort { get; }

    ServerProcess(Process process, string peerAddress, int rawPort) =>
        (this.process, PeerAddress, RawPort) = (process, peerAddress, rawPort);

    // ---- the bench's side ----

    /// <summary>Starts the server process for <paramref name="peer"/> and waits for its ready line.</summary>
    public static async Task<ServerProcess> Start(IPeer peer)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            psi.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        psi.ArgumentList.Add(Flag);
        psi.ArgumentList.Add(peer.Name);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the server process");
        try
        {
            var line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            var words = line?.Split(' ') ?? [];
            if (words is not ["ready", var address, var port])
                throw new InvalidOperationException($"the {peer.Name} server process said '{line}' instead of its ready line");
            return new ServerProcess(p, address, int.Parse(port));
        }
        catch
        {
            p.Kill(true);
            await p.WaitForExitAsync();
            p.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks the server what it saw while the client is still connected (so that the client's
    /// leaving is not counted); throws if it saw a failure (a message out of order, a dead letter,
    /// an error logged).
    /// </summary>
    public async Task CheckVerdict()
    {
        await process.StandardInput.WriteLineAsync("verdict");
        await process.StandardInput.FlushAsync();
        var answer = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (answer != "ok")
            throw new InvalidOperationException($"the server process saw a failure: {answer ?? "it exited"}");
    }

    /// <summary>Methods the server process has JIT-compiled so far (to see its JIT go quiet).</summary>
    public async Task<long> CompiledMethods()
    {
        await process.StandardInput.WriteLineAsync("jit");
        await process.StandardInput.FlushAsync();
        var answer = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return long.TryParse(answer, out var n) ? n : throw new InvalidOperationException($"the server process answered '{answer}' to 'jit'");
    }

    /// <summary>Closes the server's standard input and reaps it; throws if it exited non-zero or had to be killed.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            process.StandardInput.Close();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(true);
                await process.WaitForExitAsync();
                throw new InvalidOperationException("the server process did not exit when told to; killed");
            }
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"the server process exited with {process.ExitCode} (see stderr)");
        }
        finally
        {
            process.Dispose();
        }
    }

    // ---- the server's side ----

    /// <summary>The server process's main: <c>--peer-serve NAME</c>. Its standard input takes "verdict" and "jit" lines.</summary>
    public static async Task<int> Run(IPeer peer)
    {
        using var stop = new CancellationTokenSource();
        int rawPort = RawSocket.Serve(stop.Token);
        await using (var server = await peer.Serve())
        {
            Report.Stdout.WriteLine($"ready {server.Address} {rawPort}");
            // Standard input is the lifeline: the bench closes it, or dies.
            while (await Console.In.ReadLineAsync() is string line)
                if (line == "verdict")
                    Report.Stdout.WriteLine(server.Verdict() is string f ? $"failed {f.ReplaceLineEndings(" ")}" : "ok");
                else if (line == "jit")
                    Report.Stdout.WriteLine(Interleave.CompiledMethods());
        }
        stop.Cancel();
        return 0;
    }
}
