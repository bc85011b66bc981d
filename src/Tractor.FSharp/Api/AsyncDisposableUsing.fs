namespace TractorNet

/// <summary>
/// <c>use</c> of an <c>IAsyncDisposable</c> (a context, a stream) inside <c>nursery { }</c> (<c>task { }</c> has it
/// built in): disposed (awaited) when the scope exits, also on an exception.
/// </summary>
[<AutoOpen>]
module AsyncDisposableUsing =

    type NurseryBuilder with
        /// <summary>
        /// <c>use x = resource</c> for an <c>IAsyncDisposable</c> in <c>nursery { }</c> (the resource's type must
        /// be known at that point, e.g. from <c>let! (ctx: PortalContext&lt;_, _&gt;), first = ...</c>).
        /// </summary>
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
