namespace TractorNet.Devx

open System.Collections.Generic

/// Who asks for the terminal: the route (actor unique id) and the session within that actor.
type internal LockKey = { Route: string; Session: int }

/// The root's tree-wide terminal lock: one holder, the others queued first come, first served
/// (tractor's `Lock` in `devx/debug`). `grant` callbacks run outside the lock's own monitor.
type internal TerminalLock() =
    let gate = obj ()
    let queue = LinkedList<LockKey * (unit -> unit)>()
    // Guarded by `gate`.
    let mutable holder: LockKey option = None

    let grantNext () =
        // Called under `gate`: hands the lock to the first in line; returns its callback.
        if holder.IsNone && queue.Count > 0 then
            let key, grant = queue.First.Value
            queue.RemoveFirst()
            holder <- Some key
            Some grant
        else
            None

    /// The session holding the lock, if any.
    member _.Holder = lock gate (fun () -> holder)

    /// Whether `key` holds the lock or waits for it.
    member _.Waiting = lock gate (fun () -> queue |> Seq.map fst |> List.ofSeq)

    /// Queues `key`; `grant` runs when the lock is its (at once when free).
    member _.Acquire(key: LockKey, grant: unit -> unit) =
        let next =
            lock gate (fun () ->
                queue.AddLast((key, grant)) |> ignore
                grantNext ())

        next |> Option.iter (fun g -> g ())

    /// Releases the lock if `key` holds it (the next in line gets it), or withdraws `key` from the queue.
    member _.Release(key: LockKey) =
        let next =
            lock gate (fun () ->
                if holder = Some key then
                    holder <- None
                else
                    let mutable node = queue.First

                    while not (isNull node) do
                        let following = node.Next
                        if fst node.Value = key then queue.Remove node
                        node <- following

                grantNext ())

        next |> Option.iter (fun g -> g ())
