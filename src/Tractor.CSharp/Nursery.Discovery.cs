// Starting actors that others find by name (docs/discovery.md).
namespace TractorNet;

public partial class Nursery
{
    /// <summary>
    /// Starts a daemon actor like <see cref="StartActor(string, Type[], LogLevel?)"/> that is also discoverable: any
    /// actor sharing the registry and the cookie finds it by <paramref name="name"/> with
    /// <see cref="Tractor.FindActor"/> or <see cref="Tractor.WaitForActor"/>. Completes once it is registered; it
    /// unregisters when it is cancelled or ends.
    /// </summary>
    /// <param name="name">The actor's name, under which it registers.</param>
    /// <param name="enableModules">The types whose static methods the actor may run.</param>
    /// <param name="logLevel">The actor's log level; by default the current one.</param>
    /// <exception cref="RegistryError">The registry could not be reached or refused the actor.</exception>
    public async Task<ActorPortal> StartDiscoverableActor(string name, Type[]? enableModules = null, LogLevel? logLevel = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var modules = new string[enableModules?.Length ?? 0];
        for (var i = 0; i < modules.Length; i++)
        {
            var t = enableModules![i] ?? throw new ArgumentException("enableModules contains null.", nameof(enableModules));
            modules[i] = t.FullName
                ?? throw new ArgumentException($"type '{t.Name}' has no full name; enable a concrete type.", nameof(enableModules));
        }
        EnsureOpen();
        var portal = await DiscoveryCore.startDiscoverableActor(Inner, name, modules, logLevel ?? Log.current()).ConfigureAwait(false);
        return new ActorPortal(portal, Inner.Token);
    }
}
