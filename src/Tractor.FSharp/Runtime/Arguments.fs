namespace TractorNet.Runtime

open System

/// Encoding a prepared call's arguments in the caller.
module internal Arguments =
    /// One blob per parameter; fails here, naming the value, when one cannot be serialised (or
    /// when the function's result type cannot travel back).
    let encode (codec: IPayloadCodec) (call: PreparedCall) : byte[] list =
        try
            codec.Check(FunctionInvoker.resultType call.Method)
        with e ->
            raise (ArgumentException($"the result of '{call.Function.Display}' cannot be sent back: {e.Message}", e))

        call.Method.GetParameters()
        |> Array.mapi (fun i p ->
            try
                codec.Encode(p.ParameterType, call.Arguments[i])
            with e ->
                raise (ArgumentException($"cannot send {call.ArgumentNames[i]} of '{call.Function.Display}' to another actor: {e.Message}", e)))
        |> List.ofArray
