namespace TractorNet

/// <summary>
/// How a nursery starts its child actors (tractor's <c>start_method</c>). Spawning sits behind one
/// internal interface (<c>ISpawner</c>), so methods can be added without touching the runtime.
/// </summary>
type SpawnMethod =
    /// <summary>A fresh <c>dotnet exec</c> process per actor.</summary>
    | NewProcess = 0

namespace TractorNet.Spawning

open System.Threading.Tasks
open TractorNet

/// Starts the OS process of a child actor, hands it its bootstrap line and its end of the
/// channel (a socket descriptor, which the spawner owns from then on and closes). `leadsGroup`:
/// the child leads a process group (its bootstrap says so), killed whole once the child exits.
type internal ISpawner =
    abstract Start: name: string * bootstrapLine: string * channelFd: int * leadsGroup: bool -> Task<ChildProcess>

/// The spawner for each method.
module internal Spawners =
    let private newProcess =
        { new ISpawner with
            member _.Start(name, line, channelFd, leadsGroup) = ChildProcess.Start(name, line, channelFd, leadsGroup) }

    let forMethod (m: SpawnMethod) : ISpawner =
        match m with
        | SpawnMethod.NewProcess -> newProcess
        | other -> invalidArg "method" $"unknown spawn method {other}"
