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
            let e = (source :?> IAsyncEnumerable<'T>).GetAsyncEnumerator ct
            let mutable failure: ExceptionDispatchInfo = null

            try
                let mutable go = true

                while go do
                    let! more = e.MoveNextAsync()

                    if more then
                        do! ep.SendItem(codec, e.Current)
                        // The caller closed its end: nobody reads the rest.
                        if ep.PeerClosed then go <- false
                    else
                        go <- false
            with ex ->
                failure <- ExceptionDispatchInfo.Capture ex

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
