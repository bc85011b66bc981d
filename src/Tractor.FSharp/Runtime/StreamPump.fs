namespace TractorNet.Runtime

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Reflection
open System.Runtime.ExceptionServices
open System.Threading
open System.Threading.Tasks

/// Sends a one-way stream function's items to the caller (callee side), with the item type
/// closed once per type.
type private Pump<'T> =
    static member Run(source: obj, ep: ContextEndpoint, ct: CancellationToken) : Task =
        task {
            let codec = ep.ItemCodec<'T>()
            let held = HeldItems()
            ep.MarkProducer()
            let e = (source :?> IAsyncEnumerable<'T>).GetAsyncEnumerator ct
            let mutable failure: ExceptionDispatchInfo = null

            try
                let mutable go = true

                while go do
                    let next = e.MoveNextAsync()

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
                            if held.Full || not ep.Writing then
                                do! ep.SendHeld held
                        else
                            if held.Count > 0 then
                                do! ep.SendHeld held

                            do! ep.SendItem(codec, item)

                        // The caller closed its end: nobody reads the rest.
                        if ep.PeerClosed then go <- false
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
