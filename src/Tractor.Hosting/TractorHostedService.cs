using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TractorNet.Hosting;

/// <summary>
/// The root actor as a hosted service: <see cref="StartAsync"/> opens the root nursery and runs the application's body
/// in it (with a service scope); <see cref="StopAsync"/> (the host shutting down) cancels the nursery and waits for the
/// whole tree to be reaped, which the cancel ladder bounds. A failure of the body is logged and stops the application.
/// </summary>
sealed class TractorHostedService(
    IServiceProvider services,
    Func<Nursery, IServiceProvider, Task> body,
    TractorHostOptions options) : IHostedService
{
    readonly CancellationTokenSource stopping = new();
    Task running = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var lifetime = services.GetService<IHostApplicationLifetime>();
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("TractorNet.Hosting");
        if (options.UseHostLogging && services.GetService<ILoggerFactory>() is { } factory)
            Log.UseLoggerFactory(factory);

        // On the thread pool: the host's start must not wait for the tree's work.
        running = Task.Run(async () =>
        {
            try
            {
                await Tractor.OpenNursery(async n =>
                {
                    using var cancel = stopping.Token.Register(n.Cancel);
                    await using var scope = services.CreateAsyncScope();
                    await body(n, scope.ServiceProvider).ConfigureAwait(false);
                }).ConfigureAwait(false);
                if (options.StopApplicationWhenDone && !stopping.IsCancellationRequested)
                    lifetime?.StopApplication();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // The host stopped us: the tree has been cancelled and reaped.
            }
            catch (Exception e)
            {
                logger?.LogError(e, "The root actor failed; stopping the application.");
                Environment.ExitCode = 1;
                lifetime?.StopApplication();
            }
        });
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        stopping.Cancel();
        // The host's shutdown timeout bounds the wait too; the cancel ladder bounds the tree's end.
        await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (options.UseHostLogging)
            Log.UseStandardError();
    }
}
