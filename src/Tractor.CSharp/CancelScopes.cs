namespace TractorNet;

/// <summary>
/// Timeouts and shielding for C# (trio's <c>move_on_after</c>, <c>fail_after</c>, <c>CancelScope(shield=True)</c>).
/// For a scope you configure yourself use <c>new CancelScope()</c> and <see cref="CancelScope.RunAsync(Func{CancellationToken, Task})"/>;
/// for cancellation points <see cref="CancelScope.Checkpoint"/> and <see cref="CancelScope.CurrentToken"/>.
/// </summary>
public static class CancelScopes
{
    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="timeout"/> from now. On expiry the body is cancelled
    /// and, once it has unwound, the method returns <c>false</c>; it returns <c>true</c> when the body completed.
    /// </summary>
    public static async Task<bool> MoveOnAfter(TimeSpan timeout, Func<CancellationToken, Task> body)
    {
        var scope = new CancelScope();
        scope.CancelAfter(timeout);
        await scope.RunAsync(body).ConfigureAwait(false);
        return !scope.CancelledCaught;
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="timeout"/> from now. Returns
    /// <c>(true, value)</c> when the body completed, <c>(false, default)</c> when the deadline cut it short.
    /// </summary>
    public static async Task<(bool Completed, T Value)> MoveOnAfter<T>(TimeSpan timeout, Func<CancellationToken, Task<T>> body)
    {
        var scope = new CancelScope();
        scope.CancelAfter(timeout);
        var value = await scope.RunAsync(body).ConfigureAwait(false);
        return scope.CancelledCaught ? (false, default!) : (true, value);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with a deadline <paramref name="timeout"/> from now. On expiry the body is cancelled
    /// and, once it has unwound, a <see cref="TimeoutException"/> is thrown.
    /// </summary>
    public static async Task FailAfter(TimeSpan timeout, Func<CancellationToken, Task> body)
    {
        var scope = new CancelScope();
        scope.CancelAfter(timeout);
        await scope.RunAsync(body).ConfigureAwait(false);
        if (scope.CancelledCaught)
            throw new TimeoutException($"The operation did not complete within {timeout}.");
    }

    /// <summary>Like <see cref="FailAfter(TimeSpan, Func{CancellationToken, Task})"/>, returning the body's value.</summary>
    public static async Task<T> FailAfter<T>(TimeSpan timeout, Func<CancellationToken, Task<T>> body)
    {
        var scope = new CancelScope();
        scope.CancelAfter(timeout);
        var value = await scope.RunAsync(body).ConfigureAwait(false);
        if (scope.CancelledCaught)
            throw new TimeoutException($"The operation did not complete within {timeout}.");
        return value;
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a shielded scope: cancelling enclosing scopes (or nurseries) does not cancel
    /// it. For cleanup that must finish.
    /// </summary>
    public static Task Shield(Func<CancellationToken, Task> body) =>
        new CancelScope { Shield = true }.RunAsync(body);

    /// <summary>Like <see cref="Shield(Func{CancellationToken, Task})"/>, returning the body's value.</summary>
    public static Task<T> Shield<T>(Func<CancellationToken, Task<T>> body) =>
        new CancelScope { Shield = true }.RunAsync(body);
}
