namespace TractorNet.Spawning

open System
open System.Threading.Tasks
open TractorNet.Ipc

/// `SpawnMethod.NewProcess`: a fresh process per actor, its channel a new socket pair.
module internal NewProcessSpawner =
    /// Starts a process for `request`: a socket pair (our end becomes the channel, the child
    /// inherits the other), and the bootstrap line on the child's standard input. `pooled`: the
    /// process is a warm pool's, started before its actor is known.
    let launch (request: SpawnRequest) (pooled: bool) : Task<SpawnedChild> =
        task {
            let parentEnd, childEnd = Native.socketPair ()
            let channel = new Channel(SocketConnection.OfDescriptor(parentEnd, "(parent)", $"(actor {request.Name})"), request.ChannelOptions)

            let boot =
                { ChannelFd = childEnd
                  Secret = request.Secret
                  Name = request.Name
                  Uid = request.Uid
                  ParentPid = Environment.ProcessId
                  LeadsGroup = request.LeadsGroup
                  Pooled = pooled }

            try
                let! proc = ChildProcess.Start(request.Name, Bootstrap.encode boot, childEnd, request.LeadsGroup, pooled = pooled)
                return { Process = proc; Channel = channel }
            with e ->
                do! channel.DisposeAsync()
                return raise e
        }

    /// The spawner.
    let instance =
        { new ISpawner with
            member _.Start request = launch request false }
