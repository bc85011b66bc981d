namespace TractorNet.Runtime

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// Runs a function a peer asked for inside its own cancel scope, so everything it does (nested
/// nurseries, `CancelScope.checkpoint ()`, awaits on `CancelScope.CurrentToken`) is cancelled
/// when the call or the whole actor is.
module internal CallContext =
    let run (ct: CancellationToken) (f: unit -> Task<obj>) : Task<obj> =
        task {
            let scope = CancelScope()
            use _ = ct.Register(fun () -> scope.Cancel())
            let! outcome = CancelScope.run scope (fun _ -> f ())

            match outcome with
            | ValueSome v -> return v
            | ValueNone -> return raise (OperationCanceledException ct)
        }
