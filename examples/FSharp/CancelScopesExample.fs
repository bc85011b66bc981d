module TractorNet.Examples.CancelScopesExample

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

let private slow (ct: CancellationToken) =
    task {
        do! Task.Delay(10_000, ct)
        return "slow result"
    }

/// Code that knows nothing about cancel scopes, only CancellationToken.
let private legacyWait () : Task<unit> =
    task { do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken) }

let example =
    { Name = "cancel-scopes"
      Summary = "moveOnAfter, failAfter and shield: timeouts that cancel and wait."
      Run =
        fun _ ->
            task {
                // moveOnAfter: give up quietly.
                match! CancelScope.moveOnAfter (TimeSpan.FromMilliseconds 50.0) slow with
                | ValueSome r -> failwith $"unexpected {r}"
                | ValueNone -> printfn "moveOnAfter: gave up after 50 ms"

                match! CancelScope.moveOnAfter (TimeSpan.FromSeconds 5.0) (fun _ -> task { return 42 }) with
                | ValueSome r -> printfn $"moveOnAfter: finished in time with {r}"
                | ValueNone -> failwith "cut short"

                // failAfter: give up loudly, once the body has unwound.
                try
                    let! _ = CancelScope.failAfter (TimeSpan.FromMilliseconds 50.0) slow
                    failwith "failAfter should have raised"
                with :? TimeoutException as e ->
                    printfn $"failAfter: {e.Message}"

                // shield: cleanup that the enclosing timeout does not interrupt.
                let! outcome =
                    CancelScope.moveOnAfter (TimeSpan.FromMilliseconds 20.0) (fun ct -> task {
                        try
                            do! Task.Delay(Timeout.Infinite, ct)
                        with :? OperationCanceledException ->
                            let! saved =
                                CancelScope.shield (fun shieldCt -> task {
                                    do! Task.Delay(50, shieldCt) // not cancelled, though the scope around it is
                                    return "state saved" })
                            printfn $"shield: {saved} while being cancelled"
                            raise (OperationCanceledException ct) })
                printfn $"shield: then the outer scope moved on: {outcome.IsNone}"

                // Ordinary .NET code cooperates through the ambient token.
                let! r = CancelScope.moveOnAfter (TimeSpan.FromMilliseconds 20.0) (fun _ -> legacyWait ())
                printfn $"ambient token: cut short: {r.IsNone}"
            } }
