namespace TractorNet.Examples;

/// <summary>One runnable example: <c>dotnet run --project examples/CSharp -- name</c>.</summary>
public sealed record Example(string Name, string Summary, Func<string[], Task> Run);
