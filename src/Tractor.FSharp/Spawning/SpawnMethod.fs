namespace TractorNet

/// How a nursery starts its child actors (tractor's `start_method`). Spawning sits behind one
/// internal interface (`ISpawner`), so methods can be added without touching the runtime.
type SpawnMethod =
    /// A fresh `dotnet exec` process per actor.
    | NewProcess = 0

namespace TractorNet.Spawning

open System.Threading.Tasks
open TractorNet

/// Starts the OS process of a child actor, hands it its bootstrap line and its end of the
/// channel (a socket descriptor, which the spawner owns from then on and closes).
type internal ISpawner =
    abstract Start: name: string * bootstrapLine: string * channelFd: int -> Task<ChildProcess>

/// The spawner for each method.
module internal Spawners =
    let private newProcess =
        { new ISpawner with
            member _.Start(name, line, channelFd) = ChildProcess.Start(name, line, channelFd) }

    let forMethod (m: SpawnMethod) : ISpawner =
        match m with
        | SpawnMethod.NewProcess -> newProcess
        | other -> invalidArg "method" $"unknown spawn method {other}"
