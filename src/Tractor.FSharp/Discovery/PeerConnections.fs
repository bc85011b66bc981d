namespace TractorNet.Discovery

open System
open System.Collections.Concurrent
open System.Threading
open System.Collections.Generic
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc
open TractorNet.Runtime

/// The entry's address does not lead to the entry's actor any more (nobody listens there, or
/// another actor does): the entry is stale.
type internal StaleEntryException(entry: ActorEntry, why: string) =
    inherit Exception($"the entry {entry} is stale: {why}")
    member _.Entry = entry

/// Connections to actors reached by discovery: peers, not children (we never reap them), one
/// connection per actor, shared by every portal to it and made again once it closes.
module internal PeerConnections =
    let private peers = ConcurrentDictionary<string, Task<Peer>>()

    let private connect (rt: ActorRuntime) (entry: ActorEntry) : Task<Peer> =
        task {
            let address =
                match IpcAddress.TryParseCore entry.Address with
                | Ok a -> a
                | Result.Error why -> raise (StaleEntryException(entry, why))

            let! channel =
                task {
                    try
                        return! IpcClient.ConnectAsync(address, DiscoverySettings.handshake rt, rt.ChannelOptions, CancellationToken.None)
                    with
                    | :? ConnectException as e -> return raise (StaleEntryException(entry, e.Message))
                    | :? HandshakeException as e ->
                        return raise (RegistryError($"actor {entry} refused the connection: {e.Message} (do both use the same cookie, and over TCP both TLS or neither? see {Cookie.EnvironmentVariable}, {TractorNet.Ipc.TlsSettings.CertificateVariable})", e))
                }

            if channel.Peer.Uid <> entry.Uid then
                do! channel.DisposeAsync()
                return raise (StaleEntryException(entry, $"{channel.Peer} answers at its address"))
            else
                let link = ChannelLink(channel, rt.Serializer) :> IMessageLink
                let p =
                    Peer(link, rt.Id, rt.Codec, (fun () -> rt.EnabledModules :> _), rt.Token, fun m -> LayerLog.Warn $"peer {entry} sent {m}: ignored")

                p.Start()
                return p
        }

    /// The connection to `entry`'s actor (made, or reused while it is open).
    let get (rt: ActorRuntime) (entry: ActorEntry) : Task<Peer> =
        task {
            let mutable result = None

            while result.IsNone do
                let attempt = peers.GetOrAdd(entry.Uid, (fun _ -> connect rt entry))

                try
                    let! p = attempt

                    if p.Closed.IsCompleted then
                        peers.TryRemove(KeyValuePair(entry.Uid, attempt)) |> ignore
                    else
                        result <- Some p
                with e ->
                    peers.TryRemove(KeyValuePair(entry.Uid, attempt)) |> ignore
                    raise e

            return result.Value
        }
