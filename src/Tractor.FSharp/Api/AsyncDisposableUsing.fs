namespace TractorNet

/// `use` of an `IAsyncDisposable` (a context, a stream) inside `nursery { }` (`task { }` has it
/// built in): disposed (awaited) when the scope exits, also on an exception.
[<AutoOpen>]
module AsyncDisposableUsing =

    type NurseryBuilder with
        /// `use x = resource` for an `IAsyncDisposable` in `nursery { }` (the resource's type must
        /// be known at that point, e.g. from `let! (ctx: PortalContext<_, _>), first = ...`).
        member _.Using(resource: 'R when 'R :> System.IAsyncDisposable, body: 'R -> NurseryOp<'T>) : NurseryOp<'T> =
            fun n ->
                task {
                    let mutable failure: System.Runtime.ExceptionServices.ExceptionDispatchInfo = null
                    let mutable result = Unchecked.defaultof<'T>

                    try
                        let! v = body resource n
                        result <- v
                    with e ->
                        failure <- System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture e

                    if not (isNull (box resource)) then
                        do! resource.DisposeAsync()

                    if not (isNull failure) then
                        failure.Throw()

                    return result
                }
