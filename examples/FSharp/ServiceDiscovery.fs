/// tractor's `service_discovery.py`: a daemon is started discoverable, the registrar is asked
/// who it is, and the daemon is found by name (as any program sharing the registry and the
/// cookie could) and called through that peer portal.
module TractorNet.Examples.ServiceDiscovery

open System.Threading.Tasks
open TractorNet

/// This module's .NET full name: what the service must enable to run its functions.
let private thisModule = "TractorNet.Examples.ServiceDiscovery"

/// What the service answers.
let ping () : Task<string> =
    task { return $"pong from {Actor.name ()} (pid {Actor.pid ()})" }

let example =
    { Name = "service-discovery"
      Summary = "A discoverable daemon 'my_service' is found by name through the registrar and called."
      Run =
        fun _ ->
            task {
                do!
                    nursery {
                        let! service = startDiscoverableActor ("my_service", [ thisModule ])
                        let! registrar = getRegistry ()
                        printfn $"the registrar is {registrar.Actor} (pid {registrar.Pid}) at {Actor.current().Registry}"
                        let! found = waitForActor "my_service"
                        let! address = queryActor "my_service"
                        printfn $"my_service is found at {address.Value}"
                        let! answer = found.Run ping
                        printfn $"{answer}"

                        if found.Pid <> service.Pid || not found.IsPeer then
                            failwith "found the wrong actor"

                        let! _ = service.CancelActor()
                        ()
                    }
            } }
