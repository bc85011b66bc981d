namespace TractorNet.Runtime

open TractorNet

/// What the parent tells a new child first (tractor's "spawn spec").
type internal SpawnSpec =
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
      TerminateMs: int
      /// Whether the child sends its log records to the parent (the root hands them to an ILoggerFactory)
      /// instead of writing them to standard error.
      LogToParent: bool
      /// Whether the tree runs in debug mode (Devx/): pauses and post-mortems open a REPL.
      DebugMode: bool }

/// How a call's result travels back.
type internal CallKind =
    /// One value (or error) when the function completes.
    | Unary
    /// A context (the function's first parameter is a `Context<'S>`): `Started` once, then
    /// streams both ways, then Return/Error/Cancelled. `Window` is each side's receive buffer
    /// (in items); `Overruns` is the flow policy (`Overruns` enum as int). Neither side may send
    /// items before the receiver grants credit (`Credit`), except under the overrun policies.
    | Context of Window: int * Overruns: int
    /// A one-way stream (the function returns an `IAsyncEnumerable<'T>`): the caller's receive
    /// side is open from the start with `Window` credit; items, then Stop, then Return.
    | Stream of Window: int * Overruns: int

/// The protocol's messages (docs/protocol.md). Values are MessagePack blobs encoded with the
/// codec for the type the receiving side expects, so the envelope never names a type to load.
type internal Message =
    /// Parent → child, the first message on the channel.
    | Spawn of SpawnSpec
    /// Child → parent: the spawn spec is applied; the actor serves calls.
    | Ready
    /// Caller → callee: run `Function` with `Arguments` (one MessagePack blob per
    /// parameter) under call id `Id`. `Trace` is the caller's W3C traceparent, null when nobody traces.
    | Start of Id: int64 * Function: FunctionRef * Arguments: byte[] list * Kind: CallKind * Trace: string
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
    // ---- contexts and streams (docs/protocol.md §4.3) ----
    // `Key` in Yield/Stop/Credit/StreamClosed/Overrun names the call as the *receiver* knows it:
    // positive = a call the receiver started (its call id), negative = a call the sender started
    // (minus its call id). Ids of the two sides never collide that way.
    /// Callee → caller: the context function called `ctx.Started(value)`.
    | Started of Id: int64 * Value: byte[]
    /// Either way: one stream item (a MessagePack value, encoded by the item type's codec).
    | Yield of Key: int64 * Item: byte[]
    /// Either way: the sender will send no more items on this stream (end of iteration).
    | Stop of Key: int64
    /// Either way: the receiver has room for `Count` more items (credit-based backpressure).
    | Credit of Key: int64 * Count: int
    /// Either way: the receiver closed its end; further items are dropped (send nothing more).
    | StreamClosed of Key: int64
    /// Either way: the receiver's buffer overflowed (overrun-error policy); the stream failed.
    | Overrun of Key: int64
    /// Callee → caller: the call ended because it was cancelled, by `Canceller`.
    | Cancelled of Id: int64 * Canceller: ActorId * Reason: string
    /// Child → parent: log records on their way to the root (when the spawn spec says LogToParent), and how many
    /// the sender dropped since its last batch because its queue was full.
    | LogRecords of Records: LogEntry list * Dropped: int64
    /// Either way, debug mode only: a message of the debugger's own protocol (Devx/DebugMessage),
    /// relayed hop by hop between the root, which owns the terminal, and the actor whose unique
    /// id is `Route` (docs/protocol.md §6).
    | Debug of Route: string * Payload: byte[]
    /// Either way: several items of one stream in order, each a MessagePack value encoded by the
    /// item type's codec (the items a sender queued while its channel was flushing travel in one
    /// frame; docs/protocol.md §4.6). Each takes one credit, as a `Yield` does.
    | Yields of Key: int64 * Items: byte[] list
