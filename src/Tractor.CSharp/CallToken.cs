namespace TractorNet;

/// <summary>
/// The token a portal call runs under: the nursery's, the ambient cancel scope's and the caller's,
/// linked only when more than one can actually fire (the common case allocates nothing).
/// </summary>
internal readonly struct CallToken : IDisposable
{
    readonly CancellationTokenSource? linked;

    public CancellationToken Token { get; }

    CallToken(CancellationToken token, CancellationTokenSource? linked)
    {
        Token = token;
        this.linked = linked;
    }

    public static CallToken Of(CancellationToken nursery, CancellationToken caller)
    {
        var ambient = CancelScope.CurrentToken;
        // Inside the nursery's own scope the ambient token is the nursery's: no need to link it twice.
        if (!ambient.CanBeCanceled || ambient == nursery) ambient = CancellationToken.None;
        if (!caller.CanBeCanceled || caller == nursery || caller == ambient) caller = CancellationToken.None;
        if (!ambient.CanBeCanceled && !caller.CanBeCanceled) return new(nursery, null);
        var cts = !nursery.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(ambient, caller)
            : CancellationTokenSource.CreateLinkedTokenSource(nursery, ambient, caller);
        return new(cts.Token, cts);
    }

    public void Dispose() => linked?.Dispose();
}
