namespace TractorNet

open System.Threading

/// A token cancelled by a caller's token or by the ambient cancel scope of the code that made
/// the link: what an enumerator honours, since it is created in its iterating task's scope.
/// Allocates a linked source only when both can cancel; `Dispose` releases it.
[<Struct; NoEquality; NoComparison>]
type internal AmbientLink =
    { Token: CancellationToken
      Linked: CancellationTokenSource }

    /// Links `ct` with the ambient cancel scope's token.
    static member Of(ct: CancellationToken) =
        let ambient = CancelScope.CurrentToken

        if ct.CanBeCanceled && ambient.CanBeCanceled then
            let linked = CancellationTokenSource.CreateLinkedTokenSource(ct, ambient)
            { Token = linked.Token; Linked = linked }
        else
            { Token = (if ct.CanBeCanceled then ct else ambient); Linked = null }

    member l.Dispose() =
        if not (isNull l.Linked) then
            l.Linked.Dispose()
