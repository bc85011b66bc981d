namespace TractorNet.Runtime

open TractorNet

/// What the parent tells a new child right after the handshake (tractor's "spawn spec").
type SpawnSpec =
    { /// The child's identity (name + unique id), as the parent knows it.
      Actor: ActorId
      /// The parent's identity.
      Parent: ActorId
      /// Modules (assembly names, namespaces or types) whose functions this actor may run.
      EnabledModules: string list
      /// The log level the child starts with.
      LogLevel: int
      /// The cancel ladder the child uses for its own children, in milliseconds.
      GracefulMs: int
      TerminateMs: int }

/// How a call's result travels back.
type CallKind =
    /// One value (or error) when the function completes.
    | Unary

/// The protocol's messages (docs/protocol.md). Values are MessagePack blobs encoded with the
/// codec for the type the receiving side expects, so the envelope never names a type to load.
type Message =
    /// Parent → child, first message after the handshake.
    | Spawn of SpawnSpec
    /// Child → parent: the spawn spec is applied; the actor serves calls.
    | Ready
    /// Caller → callee: run `Function` with `Arguments` (one MessagePack blob per
    /// parameter) under call id `Id`.
    | Start of Id: int64 * Function: FunctionRef * Arguments: byte[] list * Kind: CallKind
    /// Callee → caller: the function's value.
    | Return of Id: int64 * Value: byte[]
    /// Callee → caller: the function raised (or was refused: not enabled, bad arguments...).
    | Error of Id: int64 * Error: RemoteErrorInfo
    /// Caller → callee: cancel call `Id` (answered by its Error/Return).
    | CancelCall of Id: int64
    /// Parent → child: cancel every task, reap your children, acknowledge and exit.
    | CancelActor
    /// Child → parent: the actor has cancelled everything and is about to exit.
    | CancelActorAck
