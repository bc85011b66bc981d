namespace TractorNet.Ipc

open System

/// <summary>
/// Who is at one end of a channel: exchanged in the handshake and authenticated by the tree's
/// secret.
/// </summary>
type IpcIdentity =
    { /// <summary>The actor's name.</summary>
      Name: string
      /// <summary>The actor's unique id.</summary>
      Uid: string
      /// <summary>The actor's process id.</summary>
      Pid: int }

    override this.ToString() = $"{this.Name}[{this.Uid}] pid {this.Pid}"

    /// <summary>An identity for this process with a fresh unique id.</summary>
    static member ForThisProcess(name: string) =
        { Name = name; Uid = Guid.NewGuid().ToString("N"); Pid = Environment.ProcessId }
