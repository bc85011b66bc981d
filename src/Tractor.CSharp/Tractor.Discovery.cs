// Discovery by name: find, wait for, query actors registered in the registry (docs/discovery.md).
using Microsoft.FSharp.Core;

namespace TractorNet;

public static partial class Tractor
{
    /// <summary>
    /// A portal to a live actor registered as <paramref name="name"/> (tractor's <c>find_actor</c>), or <c>null</c>.
    /// With several actors under one name, the earliest registered that is still alive; the calling actor's own
    /// name gives its own portal (<see cref="ActorInfo.Portal"/>). A portal reached this way is a peer's: calls,
    /// contexts and streams work as on any portal, its failures are <see cref="RemoteActorError"/> or
    /// <see cref="TransportClosedError"/> at the call site, and it is never cancelled or reaped by us.
    /// </summary>
    /// <param name="name">The registered name.</param>
    /// <exception cref="RegistryError">The registry could not be reached or refused this actor (a wrong cookie).</exception>
    public static async Task<ActorPortal?> FindActor(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var found = await DiscoveryCore.findActor(name).ConfigureAwait(false);
        var portal = OptionModule.ToObj(found);
        return portal is null ? null : new ActorPortal(portal, CancellationToken.None);
    }

    /// <summary>
    /// Waits until an actor registers as <paramref name="name"/> (tractor's <c>wait_for_actor</c>; woken by the
    /// registration, no polling) and returns a portal to it.
    /// </summary>
    /// <param name="name">The registered name.</param>
    /// <param name="cancellationToken">Cancels the wait (as does the ambient <see cref="CancelScope"/>).</param>
    /// <exception cref="OperationCanceledException">The wait was cancelled.</exception>
    /// <exception cref="RegistryError">The registry could not be reached or refused this actor.</exception>
    public static async Task<ActorPortal> WaitForActor(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var portal = await DiscoveryOps.waitForActor(name, cancellationToken).ConfigureAwait(false);
        return new ActorPortal(portal, CancellationToken.None);
    }

    /// <summary>The address of the actor registered as <paramref name="name"/> (the earliest registered;
    /// tractor's <c>query_actor</c>), or <c>null</c>.</summary>
    /// <param name="name">The registered name.</param>
    public static async Task<string?> QueryActor(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var address = OptionModule.ToObj(await DiscoveryCore.queryActor(name).ConfigureAwait(false));
        return address?.ToString();
    }

    /// <summary>Every registration the registry holds (what <c>dotnet tractor tree</c> prints).</summary>
    public static async Task<IReadOnlyList<ActorEntry>> ListActors() =>
        (await DiscoveryOps.listActors().ConfigureAwait(false)).ToArray();

    /// <summary>A portal to the registrar actor (tractor's <c>get_registry</c>); the caller's own portal when it is
    /// the registrar. Its connection serves only the registry's own calls.</summary>
    public static async Task<ActorPortal> GetRegistry() =>
        new(await DiscoveryCore.getRegistry().ConfigureAwait(false), CancellationToken.None);

    /// <summary>A portal to the root actor of the caller's tree (tractor's <c>get_root</c>); the caller's own at the
    /// root. The root must have used discovery before it spawned the caller's branch of the tree.</summary>
    public static async Task<ActorPortal> GetRoot() =>
        new(await DiscoveryCore.getRoot().ConfigureAwait(false), CancellationToken.None);

    /// <summary>
    /// Uses the registry at <paramref name="address"/> (<c>uds:///path</c>, <c>tcp://host:port</c>, or
    /// <c>etcd://host:port/prefix</c> after <c>EtcdRegistry.Install()</c> of Tractor.Discovery.Etcd) in this actor
    /// and the actors it spawns from now on (as <c>TRACTOR_REGISTRY</c> does). Call it before the first use of
    /// discovery.
    /// </summary>
    /// <param name="address">The registry address.</param>
    /// <exception cref="FormatException">The address is malformed.</exception>
    /// <exception cref="InvalidOperationException">This actor already uses another registry.</exception>
    public static void UseRegistry(string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        DiscoveryOps.useRegistry(address);
    }

    /// <summary>
    /// Uses <paramref name="cookie"/> instead of the per-user cookie file, in this actor and the actors it spawns from
    /// now on (as <c>TRACTOR_COOKIE</c> does): give programs or hosts that must find each other the same one.
    /// </summary>
    /// <param name="cookie">The shared secret, at least 16 characters.</param>
    /// <exception cref="ArgumentException">The cookie is shorter than 16 characters.</exception>
    public static void UseCookie(string cookie) => DiscoveryOps.useCookie(cookie);

    /// <summary>
    /// Runs every TCP connection of this actor and the actors it spawns from now on inside TLS (as the
    /// <c>TRACTOR_TLS_CERT</c>, <c>TRACTOR_TLS_KEY</c> and <c>TRACTOR_TLS_CA</c> variables do): both ends present
    /// their certificate; a peer's is trusted when it is this one, chains to the authorities in
    /// <paramref name="authorityPath"/>, or is trusted by the system. The cookie is still proved inside the session.
    /// </summary>
    /// <param name="certificatePath">A PEM certificate.</param>
    /// <param name="keyPath">Its PEM private key (null if the certificate file holds it).</param>
    /// <param name="authorityPath">PEM certificates of the authorities whose certificates to trust (optional).</param>
    /// <exception cref="InvalidOperationException">This actor already made or accepted a TCP connection.</exception>
    public static void UseTls(string certificatePath, string? keyPath, string? authorityPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        DiscoveryOps.useTls(certificatePath, keyPath!, authorityPath is null ? FSharpOption<string>.None : FSharpOption<string>.Some(authorityPath));
    }

    /// <summary>
    /// Makes the calling actor discoverable: it serves by address and is registered under its name until it ends
    /// (also when it is cancelled).
    /// </summary>
    /// <returns>Its registry entry.</returns>
    public static Task<ActorEntry> PublishActor() => DiscoveryCore.publishActor();
}
