namespace TractorNet.Runtime

open System
open System.Buffers
open System.Threading
open System.Threading.Tasks
open TractorNet.Wire

/// A new actor's first call pays for loading and compiling the call path: the protocol codec,
/// function lookup, the call's cancel scope, invoking and awaiting, encoding the result. A child
/// warms that path on a second thread while its main thread takes up the channel to its parent
/// (a core that would otherwise idle: the parent is waiting), so the first real call finds it
/// ready. The warm-up runs a no-op through the same code, shares no state with real calls, and
/// its failure is ignored (the real call would then simply pay the cost itself).
module internal StartupWarmup =
    type private Anchor = class end

    /// The function the warm-up calls.
    let noop () : Task<unit> = Task.FromResult()

    /// `noop`, found by reflection.
    let noopMethod () =
        typeof<Anchor>.DeclaringType.GetMethod(nameof noop, Reflection.BindingFlags.Static ||| Reflection.BindingFlags.Public ||| Reflection.BindingFlags.NonPublic)

    let private warm (codec: IPayloadCodec) =
        let f = FunctionRefs.ofMethod (noopMethod ())
        let frame = ArrayBufferWriter<byte>(256)
        MessageCodec.serialize frame (Start(1L, f, [], Unary, null))

        match MessageCodec.deserialize (ReadOnlySequence frame.WrittenMemory) with
        | Start(id, f, _, _, _) ->
            match FunctionRefs.resolve [ f.DeclaringType ] f with
            | Ok m ->
                let parameters = m.GetParameters()
                let result = (CallContext.run CancellationToken.None (fun () -> FunctionInvoker.invoke m [||])).GetAwaiter().GetResult()
                let value = codec.Encode(FunctionInvoker.resultType m, result)
                frame.ResetWrittenCount()
                MessageCodec.serialize frame (Return(id + int64 parameters.Length, value))
            | Result.Error _ -> ()
        | _ -> ()

    /// Starts warming the call path on a background thread (the codec is the one every actor
    /// uses: its caches are shared); a warm pool's process joins it before it says it is warm.
    let start () : Thread =
        let t =
            Thread(
                (fun () ->
                    try
                        warm (PayloadCodec MsgPackSerializer.Default)
                    with _ ->
                        ()),
                IsBackground = true,
                Name = "tractor-warmup"
            )

        t.Start()
        t
