namespace TractorNet.Runtime

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// Runs a function a peer asked for inside its own cancel scope, so everything it does (nested
/// nurseries, `CancelScope.checkpoint ()`, awaits on `CancelScope.CurrentToken`) is cancelled
/// when the call or the whole actor is.
module internal CallContext =
    // One async layer over the scope's own (not CancelScope.run's two generic ones): each
    // layer's state machine is JIT-compiled on a new actor's first call.
    let run (ct: CancellationToken) (f: unit -> Task<obj>) : Task<obj> =
        task {
            let scope = CancelScope()
            use _ = ct.Register(fun () -> scope.Cancel())
            let! finished = scope.RunTask(Func<CancellationToken, Task>(fun _ -> f () :> Task), CancellationToken.None)

            if scope.CancelledCaught then
                return raise (OperationCanceledException ct)
            else
                return (finished :?> Task<obj>).Result
        }
