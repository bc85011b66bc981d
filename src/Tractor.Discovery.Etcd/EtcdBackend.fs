namespace TractorNet.Discovery.Etcd

open System
open System.Collections.Concurrent
open System.IO
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open Etcdserverpb
open Google.Protobuf
open Grpc.Core
open Grpc.Net.Client
open TractorNet
open TractorNet.Discovery

/// The registry in etcd at `etcd://host:port/prefix` (prefix default `tractor`): each
/// registration is the key `<prefix>/actors/<name>/<uid>`, its entry as JSON, attached to this
/// process's lease, which a background loop keeps alive; when the process dies or loses etcd
/// the lease expires after `Ttl` and its entries go with it. Lookups order by the keys' create
/// revision (a re-registration keeps it); waits watch the name's keys.
type internal EtcdBackend(address: string) =
    let uri = Uri address

    let prefix =
        match uri.AbsolutePath.Trim '/' with
        | "" -> "tractor"
        | p -> p

    let channel = GrpcChannel.ForAddress $"http://{uri.Host}:{uri.Port}"
    let kv = KV.KVClient channel
    let leases = Lease.LeaseClient channel
    let watches = Watch.WatchClient channel
    let gate = new SemaphoreSlim(1, 1)
    // Guarded by `gate`: this process's lease (0: none yet).
    let mutable lease = 0L
    /// What this process registered, to put again under a new lease (uid, name → entry).
    let mine = ConcurrentDictionary<struct (string * string), ActorEntry>()
    let stopping = new CancellationTokenSource()

    let bytes (s: string) = ByteString.CopyFromUtf8 s
    let actorsKey = $"{prefix}/actors/"
    let nameKey (name: string) = $"{actorsKey}{name}/"
    let entryKey (e: ActorEntry) = $"{nameKey e.Name}{e.Uid}"

    /// The end of the range of keys that start with `p` (etcd's prefix convention).
    let rangeEnd (p: string) =
        let b = Text.Encoding.UTF8.GetBytes p
        b[b.Length - 1] <- b[b.Length - 1] + 1uy
        ByteString.CopyFrom b

    /// A same-host entry whose process is gone (or a zombie) is stale, as the built-in registrar
    /// judges it: its lease has not expired yet, but a lookup must not wait for that.
    let isDead (e: ActorEntry) =
        e.Address.StartsWith("uds://", StringComparison.Ordinal)
        && (try
                let stat = File.ReadAllText $"/proc/{e.Pid}/stat"
                stat.Substring(stat.LastIndexOf ')' + 2).StartsWith 'Z'
            with _ ->
                true)

    /// etcd's failures as the registry's.
    let guard (what: string) (f: unit -> Task<'T>) : Task<'T> =
        task {
            try
                return! f ()
            with
            | :? RpcException as e when e.StatusCode = StatusCode.Cancelled -> return raise (OperationCanceledException(e.Message, e))
            | :? RpcException as e -> return raise (RegistryError($"the etcd registry at {address} failed to {what}: {e.Status.Detail}", e))
        }

    /// The entries under `key` (a prefix), earliest created first, and the store's revision.
    let range (key: string) (ct: CancellationToken) =
        task {
            let request =
                RangeRequest(
                    Key = bytes key,
                    RangeEnd = rangeEnd key,
                    SortTarget = RangeRequest.Types.SortTarget.Create,
                    SortOrder = RangeRequest.Types.SortOrder.Ascend
                )

            let! r = kv.RangeAsync(request, cancellationToken = ct)
            let entries = [ for x in r.Kvs -> JsonSerializer.Deserialize<ActorEntry>(x.Value.Span) ]
            return entries, r.Header.Revision
        }

    let put (e: ActorEntry) (leaseId: int64) =
        task {
            let! _ = kv.PutAsync(PutRequest(Key = bytes (entryKey e), Value = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes e), Lease = leaseId))
            ()
        }

    /// How long entries outlive a process that stopped keeping its lease alive.
    static member val Ttl = TimeSpan.FromSeconds 5.0 with get, set

    /// Keeps the lease alive (a refresh every third of its TTL); a lease that expired meanwhile
    /// (etcd unreachable for longer than the TTL) is replaced and our entries put again.
    member private this.KeepAlive() : Task =
        task {
            while not stopping.IsCancellationRequested do
                try
                    use call = leases.LeaseKeepAlive(cancellationToken = stopping.Token)

                    while not stopping.IsCancellationRequested do
                        do! call.RequestStream.WriteAsync(LeaseKeepAliveRequest(ID = lease))
                        let! more = call.ResponseStream.MoveNext stopping.Token

                        if more && call.ResponseStream.Current.TTL <= 0L then
                            Log.warn $"the etcd lease of this process expired: registering {mine.Count} entr(y/ies) again"
                            do! this.Renew()

                        do! Task.Delay(EtcdBackend.Ttl / 3.0, stopping.Token)
                with
                | _ when stopping.IsCancellationRequested -> ()
                | e ->
                    Log.debug $"the etcd lease keep-alive failed ({e.Message}); trying again"

                    try
                        do! Task.Delay(500, stopping.Token)
                    with _ ->
                        ()
        }

    /// A new lease, with our entries put under it again.
    member private _.Renew() : Task =
        task {
            do! gate.WaitAsync()

            try
                let! granted = leases.LeaseGrantAsync(LeaseGrantRequest(TTL = int64 (ceil EtcdBackend.Ttl.TotalSeconds)))
                lease <- granted.ID

                for e in mine.Values do
                    do! put e lease
            finally
                gate.Release() |> ignore
        }

    /// This process's lease, granted (and kept alive from then on) at its first registration.
    member private this.Lease() : Task<int64> =
        task {
            do! gate.WaitAsync()

            try
                if lease = 0L then
                    let! granted = leases.LeaseGrantAsync(LeaseGrantRequest(TTL = int64 (ceil EtcdBackend.Ttl.TotalSeconds)))
                    lease <- granted.ID
                    Task.Run(fun () -> this.KeepAlive()) |> ignore
                    // A process that exits normally takes its entries along at once.
                    AppDomain.CurrentDomain.ProcessExit.Add(fun _ -> this.Close())

                return lease
            finally
                gate.Release() |> ignore
        }

    /// Stops keeping the lease alive and revokes it (its keys go with it).
    member _.Close() =
        if not stopping.IsCancellationRequested then
            stopping.Cancel()

            if lease <> 0L then
                try
                    leases.LeaseRevoke(LeaseRevokeRequest(ID = lease), deadline = DateTime.UtcNow.AddSeconds 2.0) |> ignore
                with _ ->
                    ()

    /// A bare range read of the keys under `name` (the baseline of the lookup benchmark).
    member _.RawRange(name: string) : Task =
        task {
            let key = nameKey name
            let! _ = kv.RangeAsync(RangeRequest(Key = bytes key, RangeEnd = rangeEnd key))
            ()
        }

    interface IRegistry with
        member _.Address = address

        member this.Register(entry) =
            guard "register" (fun () ->
                task {
                    mine[struct (entry.Uid, entry.Name)] <- entry
                    let! id = this.Lease()
                    do! put entry id
                })

        member _.Unregister(uid) =
            guard "unregister" (fun () ->
                task {
                    for KeyValue(key, e) in mine do
                        if e.Uid = uid then
                            mine.TryRemove key |> ignore

                    let! all, _ = range actorsKey CancellationToken.None

                    for e in all do
                        if e.Uid = uid then
                            let! _ = kv.DeleteRangeAsync(DeleteRangeRequest(Key = bytes (entryKey e)))
                            ()
                })

        member _.Lookup(name) =
            guard "look up" (fun () ->
                task {
                    let! entries, _ = range (nameKey name) CancellationToken.None
                    return entries |> List.filter (isDead >> not)
                })

        member _.WaitFor(name, ct) =
            guard "wait" (fun () ->
                task {
                    let mutable found = None

                    while found.IsNone do
                        ct.ThrowIfCancellationRequested()
                        let! entries, revision = range (nameKey name) ct

                        match entries |> List.filter (isDead >> not) with
                        | e :: _ -> found <- Some e
                        | [] ->
                            // Watch the name's keys from just after what we read: a registration
                            // between the read and the watch is still seen.
                            use call = watches.Watch(cancellationToken = ct)

                            let create =
                                WatchCreateRequest(Key = bytes (nameKey name), RangeEnd = rangeEnd (nameKey name), StartRevision = revision + 1L)

                            do! call.RequestStream.WriteAsync(WatchRequest(CreateRequest = create))
                            let mutable put = false

                            while not put do
                                let! more = call.ResponseStream.MoveNext ct

                                if not more then
                                    raise (RpcException(Status(StatusCode.Unavailable, "the watch ended")))

                                let r = call.ResponseStream.Current

                                if r.Events |> Seq.exists (fun ev -> ev.Type = Mvccpb.Event.Types.EventType.Put) then
                                    put <- true
                                elif r.Canceled || r.CompactRevision > 0L then
                                    // Compacted past our revision: read again.
                                    put <- true

                            do! call.RequestStream.CompleteAsync()

                    return found.Value
                })

        member _.List() =
            guard "list" (fun () ->
                task {
                    let! entries, _ = range actorsKey CancellationToken.None
                    return entries
                })
