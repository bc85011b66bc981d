namespace TractorNet

// TaskCode and TaskBuilderBase are FSharp.Core's building blocks for extending task { }.
#nowarn "1204"

/// `use` of an `IAsyncDisposable` (a context, a stream) inside `task { }` and `nursery { }`:
/// disposed (awaited) when the scope exits, also on an exception.
[<AutoOpen>]
module AsyncDisposableUsing =
    open Microsoft.FSharp.Control
    open Microsoft.FSharp.Core.CompilerServices

    type TaskBuilderBase with
        /// `use x = resource` for an `IAsyncDisposable` in `task { }`.
        member inline this.Using<'R, 'TOverall, 'T when 'R :> System.IAsyncDisposable>
            (resource: 'R, body: 'R -> TaskCode<'TOverall, 'T>)
            : TaskCode<'TOverall, 'T> =
            ResumableCode.TryFinallyAsync(
                TaskCode<'TOverall, 'T>(fun sm -> (body resource).Invoke(&sm)),
                TaskCode<'TOverall, unit>(fun sm ->
                    if isNull (box resource) then
                        true
                    else
                        this.Bind(resource.DisposeAsync(), (fun () -> this.Zero())).Invoke(&sm))
            )

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
