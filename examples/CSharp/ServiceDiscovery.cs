namespace TractorNet.Examples;

/// <summary>tractor's <c>service_discovery.py</c>: a daemon is started discoverable, the registrar is asked who it
/// is, and the daemon is found by name (as any program sharing the registry and the cookie could) and called.</summary>
static class ServiceDiscovery
{
    public static readonly Example Example = new(
        "service-discovery",
        "A discoverable daemon 'my_service' is found by name through the registrar and called.",
        Run);

    /// <summary>What the service answers.</summary>
    public static Task<string> Ping() =>
        Task.FromResult($"pong from {Tractor.CurrentActor.Name} (pid {Environment.ProcessId})");

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var service = await n.StartDiscoverableActor("my_service", [typeof(ServiceDiscovery)]);
            var registrar = await Tractor.GetRegistry();
            Console.WriteLine($"the registrar is {registrar.Actor} (pid {registrar.Pid}) at {Tractor.CurrentActor.Registry}");
            var found = await Tractor.WaitForActor("my_service");
            Console.WriteLine($"my_service is found at {await Tractor.QueryActor("my_service")}");
            Console.WriteLine(await found.Run(Ping));
            if (found.Pid != service.Pid || !found.IsPeer)
                throw new InvalidOperationException("found the wrong actor");
            await service.CancelActor();
        });
}
