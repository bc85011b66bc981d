namespace TractorNet.Discovery

open System
open System.Collections.Generic
open System.IO
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc

/// The registrar's table (tractor's registrar actor): name → entries in registration order,
/// and the `waitForActor` callers waiting for a name. One per hosting process.
type internal Registrar() =
    let gate = obj ()
    // All guarded by `gate`.
    let entries = List<ActorEntry>()
    let waiters = Dictionary<string, List<TaskCompletionSource<ActorEntry>>>()

    /// A same-host entry whose process is gone (or a zombie) is stale: its registration
    /// connection closed or is about to, but a lookup must not wait for us to notice.
    static let isDead (e: ActorEntry) =
        e.Address.StartsWith("uds://", StringComparison.Ordinal)
        && (try
                let stat = File.ReadAllText $"/proc/{e.Pid}/stat"
                stat.Substring(stat.LastIndexOf ')' + 2).StartsWith 'Z'
            with _ ->
                true)

    /// Removes the socket file a dead actor left in the per-user directory (its listener died
    /// with it; nobody else can bind that random name).
    static let removeSocketOf (e: ActorEntry) =
        match IpcAddress.TryParseCore e.Address with
        | Ok(IpcAddress.Uds path) when Path.GetDirectoryName path = UnixSocketDirectory.path () ->
            match Posix.lstat path with
            | Some f when f.Kind = Posix.S_IFSOCK -> (try File.Delete path with _ -> ())
            | _ -> ()
        | _ -> ()

    let live (name: string) =
        lock gate (fun () ->
            let dead = entries |> Seq.filter (fun e -> e.Name = name && isDead e) |> List.ofSeq

            for e in dead do
                TractorNet.LayerLog.Debug $"registrar: dropping the stale entry {e} (its process is gone)"
                entries.Remove e |> ignore
                removeSocketOf e

            entries |> Seq.filter (fun e -> e.Name = name) |> List.ofSeq)

    /// Adds `e` (replacing an entry of the same actor and name) and wakes that name's waiters.
    member _.Register(e: ActorEntry) =
        let woken =
            lock gate (fun () ->
                entries.RemoveAll(fun x -> x.Uid = e.Uid && x.Name = e.Name) |> ignore
                entries.Add e

                match waiters.TryGetValue e.Name with
                | true, list ->
                    waiters.Remove e.Name |> ignore
                    list.ToArray()
                | _ -> [||])

        TractorNet.LayerLog.Debug $"registrar: registered {e}"

        for w in woken do
            w.TrySetResult e |> ignore

    /// Removes every entry of actor `uid`.
    member _.Unregister(uid: string) =
        let removed =
            lock gate (fun () ->
                let mine = entries |> Seq.filter (fun x -> x.Uid = uid) |> List.ofSeq
                entries.RemoveAll(fun x -> x.Uid = uid) |> ignore
                mine)

        if not removed.IsEmpty then
            TractorNet.LayerLog.Debug $"registrar: unregistered {removed.Length} entr(y/ies) of {uid}"

        for e in removed do
            if isDead e then
                removeSocketOf e

    /// The live entries under `name`, earliest first.
    member _.Lookup(name: string) : ActorEntry list = live name

    /// Every entry.
    member _.List() : ActorEntry list = lock gate (fun () -> List.ofSeq entries)

    /// The earliest live entry under `name`, once there is one; `ct` cancels the wait.
    member _.WaitFor(name: string, ct: CancellationToken) : Task<ActorEntry> =
        match live name with
        | first :: _ -> Task.FromResult first
        | [] ->
            let waiter = TaskCompletionSource<ActorEntry>(TaskCreationOptions.RunContinuationsAsynchronously)

            lock gate (fun () ->
                // Checked again under the lock: a registration may have come in between.
                match entries |> Seq.tryFind (fun e -> e.Name = name) with
                | Some e -> waiter.TrySetResult e |> ignore
                | None ->
                    match waiters.TryGetValue name with
                    | true, list -> list.Add waiter
                    | _ -> waiters[name] <- List [ waiter ])

            if not waiter.Task.IsCompleted then
                let registration =
                    ct.Register(fun () ->
                        lock gate (fun () ->
                            match waiters.TryGetValue name with
                            | true, list -> list.Remove waiter |> ignore
                            | _ -> ())

                        waiter.TrySetCanceled ct |> ignore)

                waiter.Task.ContinueWith(fun (_: Task) -> registration.Dispose()) |> ignore

            waiter.Task

/// The functions a peer of the registrar may call (the only ones enabled on its connections),
/// acting on the registrar this process hosts. See docs/protocol.md §6.
module internal RegistrarCalls =
    /// The module's full name: what the registrar's connections enable.
    let ModuleName = "TractorNet.Discovery.RegistrarCalls"

    /// The registrar this process hosts (set while it hosts one).
    let mutable internal hosted: Registrar = Unchecked.defaultof<_>

    let private registrar () =
        let r = hosted

        if isNull (box r) then
            raise (RegistryError "this process does not host the registrar (any more)")

        r

    let register (entry: ActorEntry) : Task<unit> =
        task { (registrar ()).Register entry }

    let unregister (uid: string) : Task<unit> =
        task { (registrar ()).Unregister uid }

    let lookup (name: string) : Task<ActorEntry list> = task { return (registrar ()).Lookup name }

    let list () : Task<ActorEntry list> = task { return (registrar ()).List() }

    /// Waits for a registration under `name`; the caller's cancel (CancelCall) ends the wait.
    let waitFor (name: string) : Task<ActorEntry> =
        (registrar ()).WaitFor(name, CancelScope.CurrentToken)
