/// The entry point of a child actor process (`dotnet exec … Tractor.FSharp.dll --tractor-actor
/// <name>`). User programs never call it.
module internal TractorNet.ChildMain

open System
open TractorNet.Runtime
open TractorNet.Spawning

[<EntryPoint>]
let main argv =
    SpawnTrace.mark "child.main"
    match argv with
    | [| flag; name |] when flag = ChildCommand.ActorArgument ->
        try
            ChildRunner.run name TractorNet.Devx.DebugRelay.installChild
        with e ->
            LayerLog.Error $"actor '{name}' failed to run: {e}"
            1
    | _ ->
        eprintfn "Tractor.FSharp.dll is a library; its entry point only starts child actors (started by a parent actor)."
        2
