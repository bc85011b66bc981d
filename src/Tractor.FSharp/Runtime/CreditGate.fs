namespace TractorNet.Runtime

open System.Threading
open System.Threading.Tasks

/// A sender's credits under backpressure: units it may send before the receiver grants more
/// (an item takes one, plus one per whole KiB of its encoding: docs/protocol.md §4.6).
[<Sealed>]
type internal CreditGate() =
    let mutable credits = 0
    let mutable waiter: TaskCompletionSource = null
    let gate = obj ()

    /// Takes one credit if there is one (lock-free).
    member _.TryTake() : bool =
        let mutable c = Volatile.Read &credits
        let mutable taken = false

        while not taken && c > 0 do
            if Interlocked.CompareExchange(&credits, c - 1, c) = c then
                taken <- true
            else
                c <- Volatile.Read &credits

        taken

    /// Takes every credit there is (lock-free): how many, 0 if none. For a sender that spends
    /// them one by one without coming back here (a one-way stream's pump, `HeldItems`).
    member _.TakeAll() : int =
        let mutable c = Volatile.Read &credits
        let mutable taken = 0

        while taken = 0 && c > 0 do
            if Interlocked.CompareExchange(&credits, 0, c) = c then
                taken <- c
            else
                c <- Volatile.Read &credits

        taken

    /// Takes `n` more credits for an item already sent (its size beyond one unit): the
    /// credits may go below zero, and the next item waits until grants pay that back.
    member _.Charge(n: int) =
        if n > 0 then
            Interlocked.Add(&credits, -n) |> ignore

    /// Adds credits granted by the receiver.
    member this.Add(n: int) =
        Interlocked.Add(&credits, n) |> ignore
        this.Wake()

    /// Wakes every waiting sender, to look at the credits and the stream's state again.
    member _.Wake() =
        let w =
            lock gate (fun () ->
                let w = waiter
                waiter <- null
                w)

        if not (isNull w) then
            w.TrySetResult() |> ignore

    /// Completes when credits arrived or `Wake` was called. Callers re-check the stream's state
    /// after calling this (a state change before it would otherwise be missed).
    member _.Wait() : Task =
        lock gate (fun () ->
            if Volatile.Read &credits > 0 then
                Task.CompletedTask
            else
                if isNull waiter then
                    waiter <- TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)

                waiter.Task)
