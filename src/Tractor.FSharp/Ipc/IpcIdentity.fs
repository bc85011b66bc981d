namespace TractorNet.Ipc

open System

/// Who is at one end of a channel: exchanged in the handshake and authenticated by the tree's
/// secret.
type IpcIdentity =
    { /// The actor's name.
      Name: string
      /// The actor's unique id.
      Uid: string
      /// The actor's process id.
      Pid: int }

    override this.ToString() = $"{this.Name}[{this.Uid}] pid {this.Pid}"

    /// An identity for this process with a fresh unique id.
    static member ForThisProcess(name: string) =
        { Name = name; Uid = Guid.NewGuid().ToString("N"); Pid = Environment.ProcessId }
