// Long-lived services and flat clusters: tractor's run_daemon and open_actor_cluster.
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace TractorNet;

public static partial class Tractor
{
    /// <summary>
    /// Runs this program's root actor as a service (tractor's <c>run_daemon</c>): peers may call the static
    /// functions of <paramref name="enableModules"/>; it is discoverable as <paramref name="name"/> and serves until
    /// cancelled (Ctrl-C, SIGTERM), then unregisters and completes. A service program is one line in its main:
    /// <c>await Tractor.RunDaemon("my_service", [typeof(Service)]);</c>
    /// </summary>
    /// <param name="name">The name it registers as.</param>
    /// <param name="enableModules">The types whose static methods peers may run.</param>
    /// <exception cref="InvalidOperationException">Called in a child actor, not a root.</exception>
    public static Task RunDaemon(string name, Type[] enableModules)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(enableModules);
        return ClusterCore.runDaemon(name, ListModule.OfSeq(ModuleNamesOf(enableModules)));
    }

    /// <summary>
    /// Starts <paramref name="count"/> daemon actors (by default one per core) named <c>worker_0</c>, … enabled for
    /// <paramref name="enableModules"/>, runs <paramref name="body"/> with the name → portal map, then cancels them
    /// all (tractor's <c>open_actor_cluster</c>); completes once every one has been reaped. The first error cancels
    /// the whole cluster.
    /// </summary>
    /// <param name="enableModules">The types whose static methods the workers may run.</param>
    /// <param name="body">Works with the cluster; its value is returned.</param>
    /// <param name="count">How many workers; by default <see cref="Environment.ProcessorCount"/>.</param>
    public static Task<T> OpenActorCluster<T>(Type[] enableModules, Func<IReadOnlyDictionary<string, ActorPortal>, Task<T>> body, int? count = null)
    {
        ArgumentNullException.ThrowIfNull(enableModules);
        ArgumentNullException.ThrowIfNull(body);
        return ClusterCore.openActorCluster(
            ModuleNamesOf(enableModules),
            count ?? Environment.ProcessorCount,
            FuncConvert.FromFunc((IReadOnlyDictionary<string, Portal> portals) =>
            {
                var map = new Dictionary<string, ActorPortal>();
                foreach (var (name, portal) in portals)
                    map[name] = new ActorPortal(portal, CancellationToken.None);
                return body(map);
            }));
    }

    static string[] ModuleNamesOf(Type[] types) =>
        types.Select(t => t?.FullName ?? throw new ArgumentException("enableModules contains null or a type without a full name.", nameof(types))).ToArray();
}
