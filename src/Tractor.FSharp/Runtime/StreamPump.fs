namespace TractorNet.Runtime

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Reflection
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks

/// What `Pump.Fill` stopped on.
type internal FillStop =
    /// Send the held items now (enough are held, or the connection is idle).
    | Send = 0
    /// The generator is waiting: await the `MoveNextAsync` returned with this.
    | Wait = 1
    /// The generator ended.
    | End = 2
    /// The generator's current item cannot be held: send it on its own.
    | Unheld = 3

/// Sends a one-way stream function's items to the caller (callee side), with the item type
/// closed once per type.
type private Pump<'T> =
    /// Holds the items the generator has ready at once, while the connection writes: a plain
    /// loop, with no state machine step per item (the pump's `task` resumes only when it must
    /// send or wait). Called after an item was held.
    static member Fill(ep: ContextEndpoint, held: HeldItems, codec: ItemCodec<'T>, e: IAsyncEnumerator<'T>) : struct (FillStop * ValueTask<bool>) =
        let mutable stop = FillStop.Send
        let mutable pending = ValueTask<bool>()
        let mutable go = true
        // The connection's state is looked at every few items (a held item may wait that long
        // after the write ended); the caller's end, through `TryHold`, at every item.
        let mutable look = 0

        while go do
            look <- look + 1

            if held.Full || ((look &&& 15) = 1 && not ep.Writing) then
                stop <- FillStop.Send
                go <- false
            else
                let next = e.MoveNextAsync()

                if not next.IsCompleted then
                    stop <- FillStop.Wait
                    pending <- next
                    go <- false
                elif not (next.GetAwaiter().GetResult()) then
                    stop <- FillStop.End
                    go <- false
                elif held.Direct || not (ep.TryHold(held, codec, e.Current)) then
                    // No credit, the caller's end closed, or a large item: on its own.
                    stop <- FillStop.Unheld
                    go <- false

        struct (stop, pending)

    static member Run(source: obj, ep: ContextEndpoint, ct: CancellationToken) : Task =
        task {
            let codec = ep.ItemCodec<'T>()
            let held = HeldItems()
            ep.MarkProducer()
            let e = (source :?> IAsyncEnumerable<'T>).GetAsyncEnumerator ct
            let mutable failure: ExceptionDispatchInfo = null

            try
                let mutable go = true
                // A `MoveNextAsync` that `Fill` started and found waiting.
                let mutable started = false
                let mutable pending = ValueTask<bool>()

                while go do
                    let next = if started then pending else e.MoveNextAsync()
                    started <- false

                    // The generator is about to wait: what is held leaves now (a lone item
                    // is never kept waiting for the next one).
                    if held.Count > 0 && not next.IsCompleted then
                        do! ep.SendHeld held

                    let! more = next

                    if more then
                        let item = e.Current

                        // While the connection is writing, items are held and go in one step
                        // when it is done (or the generator waits, or enough are held).
                        if (held.Count > 0 || ep.Writing) && not held.Direct && ep.TryHold(held, codec, item) then
                            let struct (stop, waiting) = Pump<'T>.Fill(ep, held, codec, e)

                            match stop with
                            | FillStop.Wait ->
                                started <- true
                                pending <- waiting
                            | FillStop.End -> go <- false
                            | FillStop.Unheld ->
                                do! ep.SendHeld held
                                ep.ReturnAllowance held
                                do! ep.SendItem(codec, e.Current)
                            | _ -> do! ep.SendHeld held
                        else
                            if held.Count > 0 then
                                do! ep.SendHeld held

                            ep.ReturnAllowance held
                            do! ep.SendItem(codec, item)

                        // The caller closed its end: nobody reads the rest (a `MoveNextAsync`
                        // under way is awaited first, and its item dropped).
                        if not started && ep.PeerClosed then go <- false
                    else
                        go <- false

                if held.Count > 0 then
                    do! ep.SendHeld held
            with ex ->
                failure <- ExceptionDispatchInfo.Capture ex

                // The items before the error still go, ahead of it.
                try
                    if held.Count > 0 then
                        do! ep.SendHeld held
                with _ ->
                    ()

            ep.ReturnAllowance held
            do! e.DisposeAsync()

            if not (isNull failure) then
                failure.Throw()
        }

module internal StreamPump =
    let private pumps = ConcurrentDictionary<Type, Func<obj, ContextEndpoint, CancellationToken, Task>>()

    /// The item type of a function returning `IAsyncEnumerable<'T>` (or a type implementing it).
    let itemType (returnType: Type) : Type option =
        let isSeq (t: Type) =
            t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<IAsyncEnumerable<_>>

        if isSeq returnType then
            Some(returnType.GetGenericArguments()[0])
        else
            returnType.GetInterfaces() |> Array.tryFind isSeq |> Option.map (fun t -> t.GetGenericArguments()[0])

    /// Iterates `source` (an `IAsyncEnumerable<itemType>`) and sends its items through `ep`.
    let run (itemType: Type) (source: obj) (ep: ContextEndpoint) (ct: CancellationToken) : Task =
        if isNull source then
            raise (InvalidOperationException "the stream function returned null instead of a sequence")

        let pump =
            pumps.GetOrAdd(
                itemType,
                fun t ->
                    typedefof<Pump<_>>
                        .MakeGenericType(t)
                        .GetMethod("Run", BindingFlags.Static ||| BindingFlags.Public ||| BindingFlags.NonPublic)
                        .CreateDelegate<Func<obj, ContextEndpoint, CancellationToken, Task>>()
            )

        pump.Invoke(source, ep, ct)
