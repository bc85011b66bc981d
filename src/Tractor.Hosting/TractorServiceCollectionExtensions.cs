using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace TractorNet.Hosting;

/// <summary>Registers the root actor with a Generic Host: <c>services.AddTractor(async (n, sp) =&gt; ...)</c>.</summary>
public static class TractorServiceCollectionExtensions
{
    /// <summary>
    /// Runs this program's root actor as a hosted service: when the host starts, <paramref name="root"/> runs in the
    /// root nursery with a service scope of its own (spawn child actors there; their background work is the service's);
    /// when the host stops (<see cref="IHostApplicationLifetime.StopApplication"/>, Ctrl-C, SIGTERM), the nursery is
    /// cancelled and the host waits until every actor of the tree has ended and been reaped (the cancel ladder bounds
    /// it). When the body returns the application stops (unless <see cref="TractorHostOptions.StopApplicationWhenDone"/>
    /// is false); when it fails, the error is logged and the application stops with exit code 1.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="root">The root's body: the nursery and a scoped service provider.</param>
    /// <param name="configure">Adjusts the <see cref="TractorHostOptions"/>.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTractor(
        this IServiceCollection services,
        Func<Nursery, IServiceProvider, Task> root,
        Action<TractorHostOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(root);
        var options = new TractorHostOptions();
        configure?.Invoke(options);
        services.AddSingleton<IHostedService>(sp => new TractorHostedService(sp, root, options));
        return services;
    }
}
