module TractorNet.Examples.Hello

open System.Threading.Tasks

let example =
    { Name = "hello"
      Summary = "Prints the library version (checks the example runner itself)."
      Run = fun _ -> task { printfn $"Tractor for .NET {TractorNet.Version.current}" } }
