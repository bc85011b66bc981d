namespace TractorNet.Examples;

/// <summary>tractor's <c>a_trynamic_first_scene.py</c>: two actors find each other by name with
/// <c>WaitForActor</c> and talk.</summary>
static class ATrynamicFirstScene
{
    public static readonly Example Example = new(
        "a-trynamic-first-scene",
        "Two actors find each other by name with WaitForActor and talk.",
        Run);

    /// <summary>Completes once this actor has said its line to the other one.</summary>
    static readonly TaskCompletionSource SaidMyLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Says this actor's line (the other actor calls it).</summary>
    public static Task<string> Hi()
    {
        SaidMyLine.TrySetResult();
        return Task.FromResult($"Hi my name is {Tractor.CurrentActor.Name}");
    }

    /// <summary>Becomes discoverable, waits for the other actor, asks for its line, and stays on stage until it has
    /// said its own (leaving earlier would cut the other's call short).</summary>
    public static async Task<string> SayHello(string otherActor)
    {
        await Tractor.PublishActor();
        var other = await Tractor.WaitForActor(otherActor);
        var line = await other.Run(Hi);
        await SaidMyLine.Task.WaitAsync(Tractor.CurrentActor.CancellationToken);
        return line;
    }

    static async Task Run(string[] args)
    {
        string fromGretchen = "", fromDonny = "";
        await Tractor.OpenNursery(async n =>
        {
            Console.WriteLine("Alright... Action!");
            var donny = await n.RunInActor(SayHello, "gretchen", name: "donny");
            var gretchen = await n.RunInActor(SayHello, "donny", name: "gretchen");
            fromGretchen = await gretchen.Result();
            fromDonny = await donny.Result();
        });
        Console.WriteLine(fromGretchen);
        Console.WriteLine(fromDonny);
        if (fromGretchen != "Hi my name is donny" || fromDonny != "Hi my name is gretchen")
            throw new InvalidOperationException("the actors did not find each other");
        Console.WriteLine("CUTTTT CUUTT CUT!!! Donny!! You're supposed to say...");
    }
}
