// trio's cancel scopes, which tractor builds on: MoveOnAfter gives up quietly, FailAfter loudly (once the body has
// unwound), Shield lets cleanup finish although the scope around it is cancelled, and plain .NET code cooperates
// through the ambient CancelScope.CurrentToken.
namespace TractorNet.Examples;

static class CancelScopesExample
{
    public static readonly Example Example = new(
        "cancel-scopes",
        "MoveOnAfter, FailAfter and Shield: timeouts that cancel and wait.",
        Run);

    static async Task<string> Slow(CancellationToken ct)
    {
        await Task.Delay(10_000, ct);
        return "slow result";
    }

    /// <summary>Code that knows nothing about cancel scopes' API, only a CancellationToken: the ambient one.</summary>
    static Task LegacyWait() => Task.Delay(Timeout.Infinite, CancelScope.CurrentToken);

    static async Task Run(string[] args)
    {
        // MoveOnAfter: give up quietly.
        var (completed, result) = await CancelScopes.MoveOnAfter(TimeSpan.FromMilliseconds(50), Slow);
        if (completed) throw new InvalidOperationException($"unexpected {result}");
        Console.WriteLine("MoveOnAfter: gave up after 50 ms");

        var (inTime, answer) = await CancelScopes.MoveOnAfter(TimeSpan.FromSeconds(5), _ => Task.FromResult(42));
        if (!inTime || answer != 42) throw new InvalidOperationException("cut short");
        Console.WriteLine($"MoveOnAfter: finished in time with {answer}");

        // FailAfter: give up loudly, once the body has unwound.
        try
        {
            await CancelScopes.FailAfter(TimeSpan.FromMilliseconds(50), Slow);
            throw new InvalidOperationException("FailAfter should have raised");
        }
        catch (TimeoutException e)
        {
            Console.WriteLine($"FailAfter: {e.Message}");
        }

        // Shield: cleanup that the enclosing timeout does not interrupt.
        string? saved = null;
        var finished = await CancelScopes.MoveOnAfter(TimeSpan.FromMilliseconds(20), async ct =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                saved = await CancelScopes.Shield(async shieldCt =>
                {
                    await Task.Delay(50, shieldCt);          // not cancelled, though the scope around it is
                    return "state saved";
                });
                Console.WriteLine($"Shield: {saved} while being cancelled");
                throw;
            }
        });
        Console.WriteLine($"Shield: then the outer scope moved on: {!finished}");
        if (finished || saved != "state saved") throw new InvalidOperationException("the shielded cleanup did not run to its end");

        // Ordinary .NET code cooperates through the ambient token.
        var legacyFinished = await CancelScopes.MoveOnAfter(TimeSpan.FromMilliseconds(20), _ => LegacyWait());
        Console.WriteLine($"ambient token: cut short: {!legacyFinished}");
        if (legacyFinished) throw new InvalidOperationException("the ambient token did not cancel LegacyWait");
    }
}
