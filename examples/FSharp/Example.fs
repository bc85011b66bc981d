namespace TractorNet.Examples

open System.Threading.Tasks

/// One runnable example: `dotnet run --project examples/FSharp -- <Name>`.
type Example =
    { Name: string
      Summary: string
      Run: string[] -> Task<unit> }
