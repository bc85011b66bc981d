namespace TractorNet

/// <summary>
/// How a nursery starts its child actors (tractor's <c>start_method</c>). Spawning sits behind one
/// internal interface (<c>ISpawner</c>), so methods can be added without touching the runtime.
/// Choose per nursery (<c>nursery.With(spawnMethod = ...)</c>, <c>Nursery.SpawnMethod</c>) or per actor
/// (<c>spawnWith</c>, <c>Nursery.WithSpawnMethod</c>); the environment variable
/// <c>TRACTOR_SPAWN_METHOD</c> (read once per process) sets the default.
/// </summary>
type SpawnMethod =
    /// <summary>A fresh <c>dotnet exec</c> process per actor (the default).</summary>
    | NewProcess = 0
    /// <summary>
    /// A process from the nursery's warm pool (Python's forkserver, in spirit): processes started ahead, their
    /// runtime loaded, their code warm and their channel connected, each handed an actor's identity and spawn
    /// spec on demand; the pool refills in the background and its idle processes are reaped with the nursery.
    /// </summary>
    | WarmPool = 1

namespace TractorNet.Spawning

open System
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc

/// What a spawner is asked for: a child actor named `Name` (unique id `Uid`) of the tree whose
/// secret is `Secret` (base64), leading a process group of its own when `LeadsGroup`.
type internal SpawnRequest =
    { Name: string
      Uid: string
      Secret: string
      LeadsGroup: bool
      ChannelOptions: ChannelOptions }

/// A started child process and our end of its channel (the child inherited the other end).
type internal SpawnedChild = { Process: ChildProcess; Channel: Channel }

/// Starts the OS process of a child actor with its bootstrap line and its end of a fresh channel
/// (a socket pair), or hands out one started ahead. The caller sends the spawn spec (which
/// carries the actor's identity) over the channel.
type internal ISpawner =
    abstract Start: request: SpawnRequest -> Task<SpawnedChild>

/// The process-wide defaults, read once from the environment: `TRACTOR_SPAWN_METHOD`
/// (`NewProcess` or `WarmPool`) and `TRACTOR_POOL_SIZE` (idle processes a warm pool keeps).
module internal SpawnDefaults =
    /// The default size of a warm pool.
    [<Literal>]
    let DefaultPoolSize = 2

    let private readMethod () =
        match Environment.GetEnvironmentVariable "TRACTOR_SPAWN_METHOD" with
        | null
        | "" -> SpawnMethod.NewProcess
        | text ->
            match Enum.TryParse<SpawnMethod>(text, true) with
            | true, m when Enum.IsDefined m -> m
            | _ ->
                LayerLog.Warn $"TRACTOR_SPAWN_METHOD='{text}' names no spawn method (NewProcess, WarmPool): using NewProcess"
                SpawnMethod.NewProcess

    let private readPoolSize () =
        match Environment.GetEnvironmentVariable "TRACTOR_POOL_SIZE" with
        | null
        | "" -> DefaultPoolSize
        | text ->
            match Int32.TryParse text with
            | true, n when n >= 0 -> n
            | _ ->
                LayerLog.Warn $"TRACTOR_POOL_SIZE='{text}' is not a size: using {DefaultPoolSize}"
                DefaultPoolSize

    let private methodRead = lazy (readMethod ())
    let private poolSizeRead = lazy (readPoolSize ())

    /// The spawn method of a nursery that names none.
    let spawnMethod () = methodRead.Value
    /// The warm pool size of a nursery that names none.
    let poolSize () = poolSizeRead.Value
