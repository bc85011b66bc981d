namespace TractorNet.Examples;

/// <summary>A daemon actor ("frank") that serves several calls until it is cancelled.</summary>
static class WithDaemon
{
    public static readonly Example Example = new(
        "with-daemon",
        "Starts the daemon actor 'frank', asks it a question twice, then cancels it.",
        Run);

    /// <summary>A question asked in a dark theatre, in a different process.</summary>
    public static Task<string> MovieTheatreQuestion() =>
        Task.FromResult($"have you ever seen a portal? (asks {Tractor.CurrentActor.Name})");

    static async Task Run(string[] args) =>
        await Tractor.OpenNursery(async n =>
        {
            var frank = await n.StartActor("frank", enableModules: [typeof(WithDaemon)]);
            Console.WriteLine(await frank.Run(MovieTheatreQuestion));
            Console.WriteLine(await frank.Run(MovieTheatreQuestion));   // the same process answers again
            // A daemon keeps its nursery open until it is cancelled.
            await frank.CancelActor();
        });
}
