namespace TractorNet.Examples;

static class Hello
{
    public static readonly Example Example = new(
        "hello",
        "Prints the library version (checks the example runner itself).",
        _ => { Console.WriteLine($"Tractor for .NET {Tractor.Version}"); return Task.CompletedTask; });
}
