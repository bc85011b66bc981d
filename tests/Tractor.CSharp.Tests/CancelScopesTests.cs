using NUnit.Framework;

namespace TractorNet.CSharp.Tests;

/// <summary>Cancel scopes as a C# user sees them: <c>CancelScopes.MoveOnAfter</c>, <c>FailAfter</c>, <c>Shield</c>.</summary>
public class CancelScopesTests
{
    static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    static Task Hang(CancellationToken ct) => Task.Delay(Timeout.Infinite, ct);

    [Test]
    public async Task MoveOnAfterReportsWhetherTheBodyCompleted()
    {
        var unwound = false;
        var completed = await CancelScopes.MoveOnAfter(TimeSpan.FromMilliseconds(20), async ct =>
        {
            try { await Hang(ct); }
            finally { unwound = true; }
        }).WaitAsync(Within);
        Assert.That(completed, Is.False);
        Assert.That(unwound, Is.True);
        Assert.That(await CancelScopes.MoveOnAfter(TimeSpan.FromMinutes(1), ct => Task.CompletedTask), Is.True);
    }

    [Test]
    public async Task MoveOnAfterWithAValue()
    {
        var (done, value) = await CancelScopes.MoveOnAfter(TimeSpan.FromMinutes(1), ct => Task.FromResult(7));
        Assert.That((done, value), Is.EqualTo((true, 7)));
        var (late, _) = await CancelScopes.MoveOnAfter(TimeSpan.FromMilliseconds(20), async ct => { await Hang(ct); return 7; })
            .WaitAsync(Within);
        Assert.That(late, Is.False);
    }

    [Test]
    public void FailAfterThrowsTimeoutException()
    {
        Assert.ThrowsAsync<TimeoutException>(() =>
            CancelScopes.FailAfter(TimeSpan.FromMilliseconds(20), Hang).WaitAsync(Within));
    }

    [Test]
    public async Task ShieldProtectsFromEnclosingCancellation()
    {
        bool? shieldedTokenCancelled = null;
        var completed = await CancelScopes.MoveOnAfter(TimeSpan.Zero, async ct =>
        {
            shieldedTokenCancelled = await CancelScopes.Shield(async inner =>
            {
                CancelScope.Checkpoint();
                await Task.Delay(1, inner);
                return inner.IsCancellationRequested;
            });
            CancelScope.Checkpoint();
        }).WaitAsync(Within);
        Assert.That(shieldedTokenCancelled, Is.False);
        Assert.That(completed, Is.False);
    }

    [Test]
    public async Task CurrentTokenReachesCodeThatOnlyKnowsCancellationToken()
    {
        var scope = new CancelScope();
        await scope.RunAsync(async ct =>
        {
            Assert.That(CancelScope.Current, Is.SameAs(scope));
            Assert.That(CancelScope.CurrentToken, Is.EqualTo(ct));
            scope.Cancel();
            await Task.Delay(Timeout.Infinite, CancelScope.CurrentToken);
        }).WaitAsync(Within);
        Assert.That(scope.CancelledCaught, Is.True);
        Assert.That(CancelScope.Current, Is.Null);
    }
}
