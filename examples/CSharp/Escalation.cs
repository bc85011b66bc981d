namespace TractorNet.Examples;

/// <summary>Supervisors (no tractor example: tractor's issue #22): a worker that always fails exhausts its
/// supervisor's restart intensity; the supervisor stops its children and escalates the last error to the enclosing
/// nursery, as an ordinary error, which cancels the nursery's other actor and reaches the root.</summary>
static class Escalation
{
    public static readonly Example Example = new(
        "escalation",
        "A supervisor exceeds its restart intensity and escalates the error to the root.",
        Run);

    /// <summary>Always fails.</summary>
    public static Task<int> DoomedWorker() =>
        throw new InvalidOperationException($"doomed worker failed in pid {Environment.ProcessId}");

    /// <summary>Runs until cancelled.</summary>
    public static async Task<int> Bystander()
    {
        await Task.Delay(Timeout.Infinite, CancelScope.CurrentToken);
        return 0;
    }

    static async Task Run(string[] args)
    {
        var policy = new SupervisorOptions { MaxRestarts = 2, Within = TimeSpan.FromSeconds(10) };
        var escalations = 0;
        try
        {
            await Tractor.OpenNursery(async n =>
            {
                await n.RunInActor(Bystander); // cancelled by the escalation
                await Tractor.OpenSupervisor(policy, async s =>
                {
                    s.OnEvent(e =>
                    {
                        Console.WriteLine($"  event: {e}");
                        if (e.Kind == SupervisorEventKind.Escalated) escalations++;
                    });
                    var worker = await s.SuperviseRun(DoomedWorker, RestartType.Permanent, "doomed");
                    await worker.Result();
                });
            });
        }
        catch (RemoteActorError e) when (escalations == 1)
        {
            Console.WriteLine($"the root caught the escalated error: {e.Message}");
            return;
        }
        throw new Exception("the supervisor did not escalate");
    }
}
