using Microsoft.Extensions.Hosting;

namespace TractorNet.Hosting;

/// <summary>An actor whose main is a Generic Host: existing hosted code (BackgroundServices, DI) joins a tree under
/// structured concurrency.</summary>
public static class ActorHost
{
    /// <summary>
    /// Runs <paramref name="host"/> inside the current actor until it stops by itself
    /// (<see cref="IHostApplicationLifetime.StopApplication"/>) or the actor's call is cancelled (its nursery, its
    /// parent, the cancel ladder): then the host is stopped gracefully and disposed before this returns. Call it from a
    /// function run in an actor: <c>portal.Run(Worker.Main)</c> where <c>Main</c> builds the host and returns
    /// <c>ActorHost.RunAsync(host)</c>.
    /// </summary>
    /// <param name="host">A built host, not started.</param>
    /// <param name="cancellationToken">Also stops the host; by default the current cancel scope's token.</param>
    /// <exception cref="OperationCanceledException">The actor's call was cancelled (after the host stopped).</exception>
    public static async Task RunAsync(IHost host, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        var token = cancellationToken.CanBeCanceled ? cancellationToken : CancelScope.CurrentToken;
        try
        {
            await host.StartAsync(token).ConfigureAwait(false);
            // Returns once the host stopped by itself, or stops it gracefully when the token is cancelled.
            await host.WaitForShutdownAsync(token).ConfigureAwait(false);
        }
        finally
        {
            if (host is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
            else host.Dispose();
        }
        token.ThrowIfCancellationRequested();
    }
}
