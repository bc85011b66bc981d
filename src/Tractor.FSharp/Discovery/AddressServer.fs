namespace TractorNet.Discovery

open System
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc
open TractorNet.Runtime

/// Serving this actor by address, so that actors outside its tree can reach it: a listener in
/// the per-user socket directory (`TRACTOR_LISTEN` may name another address, e.g.
/// `tcp://10.0.0.1:0`), every connection authenticated by the cookie and served like the
/// parent's channel (calls, contexts and streams of this actor's enabled modules). Peers that
/// connect by address cannot cancel the actor: only its parent controls it.
module internal AddressServer =
    /// Where an actor listens when it is published, instead of a fresh Unix socket.
    [<Literal>]
    let ListenVariable = "TRACTOR_LISTEN"

    let private gate = new SemaphoreSlim(1, 1)
    // Both guarded by `gate`.
    let mutable private server: IpcServer = Unchecked.defaultof<_>
    let mutable private published: ActorEntry option = None

    let private serve (rt: ActorRuntime) (channel: Channel) : Task =
        task {
            let link = ChannelLink(channel, rt.Serializer) :> IMessageLink
            LayerLog.Debug $"serving {channel.Peer} (connected by address)"

            let p =
                Peer(
                    link,
                    rt.Id,
                    rt.Codec,
                    (fun () -> rt.EnabledModules :> _),
                    rt.Token,
                    fun m -> LayerLog.Warn $"peer {channel.Peer} sent {m}: ignored (a peer reached by discovery cannot cancel this actor; its parent can)"
                )

            p.Start()
            do! p.Closed
        }

    /// The entry of this actor if it is published.
    let entry () = published

    /// Serves this actor by address (once) and registers it under its name; returns its entry.
    let publish () : Task<ActorEntry> =
        task {
            let rt = ActorRuntime.Current
            do! gate.WaitAsync()

            try
                match published with
                | Some e -> return e
                | None ->
                    let listenAt =
                        match Environment.GetEnvironmentVariable ListenVariable with
                        | null
                        | "" -> UnixSocketDirectory.newAddress rt.Id.Name
                        | text -> IpcAddress.Parse text

                    if isNull (box server) then
                        let started = IpcServer.Start(listenAt, DiscoverySettings.handshake rt, rt.ChannelOptions, Func<Channel, Task>(serve rt))
                        server <- started
                        // A process that just exits (a root at the end of main) still removes its
                        // socket file: disposing starts by closing the listener, synchronously.
                        AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> started.DisposeAsync() |> ignore)

                    let e =
                        { Name = rt.Id.Name
                          Uid = rt.Id.Uid
                          Pid = Environment.ProcessId
                          Address = string server.Address
                          Parent = (match rt.Parent with Some p -> p.Uid | None -> "")
                          Host = Environment.MachineName
                          Registered = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }

                    do! (Registries.current ()).Register e
                    published <- Some e
                    LayerLog.Debug $"published as {e}"
                    return e
            finally
                gate.Release() |> ignore
        }

    /// Unregisters this actor and stops serving by address (its end, or its cancellation).
    let unpublish () : Task =
        task {
            do! gate.WaitAsync()

            try
                // The listener first (its socket file goes at once, even if the process exits
                // right after): a peer connecting now finds nobody and drops the entry itself.
                let stopping =
                    if isNull (box server) then
                        Task.CompletedTask
                    else
                        let s = server
                        server <- Unchecked.defaultof<_>
                        s.DisposeAsync().AsTask()

                match published with
                | None -> ()
                | Some e ->
                    published <- None

                    try
                        // Bounded: an actor ending must not hang on a registrar that does not answer.
                        do! (Registries.current ()).Unregister(e.Uid).WaitAsync(TimeSpan.FromSeconds 2.0)
                    with ex ->
                        // The registrar drops it anyway when our connection closes.
                        LayerLog.Debug $"unregistering {e} failed: {ex.Message}"

                do! stopping
            finally
                gate.Release() |> ignore
        }

/// What a parent calls in a child it starts discoverable (enabled there for that purpose).
module internal PublishCalls =
    /// The module's full name, added to such a child's enabled modules.
    let ModuleName = "TractorNet.Discovery.PublishCalls"

    /// Publishes the actor; returns its address.
    let publish () : Task<string> =
        task {
            let! e = AddressServer.publish ()
            return e.Address
        }

    /// Runs until the actor is cancelled, then unregisters it: a running call, so the actor
    /// acknowledges its cancellation (and exits) only after it has unregistered.
    let holdUntilCancelled () : Task<unit> =
        task {
            let rt = ActorRuntime.Current

            try
                do! Task.Delay(Timeout.Infinite, rt.Token)
            with :? OperationCanceledException ->
                ()

            do! AddressServer.unpublish ()
        }
