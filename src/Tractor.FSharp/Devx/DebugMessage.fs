namespace TractorNet.Devx

open TractorNet
open TractorNet.Wire

/// The debugger's own protocol, carried in `Message.Debug(route, payload)` (docs/protocol.md §6).
/// "Up" messages travel towards the root, which owns the terminal and the tree-wide lock; "down"
/// messages travel back to the actor whose unique id is the route. `Session` tells apart the
/// pauses of several tasks of one actor.
type internal DebugMessage =
    /// Up: queue for the terminal lock (FIFO at the root).
    | Acquire of Session: int * Actor: ActorId * Pid: int
    /// Down: the lock is this session's; its REPL may use the terminal.
    | Granted of Session: int
    /// Down: the root has no terminal (standard input is not a tty): the pause continues.
    | NoTerminal of Session: int * Reason: string
    /// Up: text for the terminal.
    | Write of Text: string
    /// Up: print `Prompt` and read one line for this session.
    | ReadLine of Session: int * Prompt: string
    /// Down: the line read (null at end of input).
    | Line of Session: int * Text: string
    /// Up: the session is done with the lock (or gives up waiting for it).
    | Release of Session: int
    /// Up: the actor tree as the root knows it, as text.
    | TreeQuery of Session: int
    /// Down: the answer to `TreeQuery`.
    | TreeText of Session: int * Text: string
    /// Up: actor `Parent` (unique id) started child `Child` as process `Pid`.
    | ChildStarted of Parent: string * Child: ActorId * Pid: int
    /// Up: the actor with unique id `Child` is gone.
    | ChildGone of Child: string

module internal DebugMessage =
    let encode (m: DebugMessage) : byte[] = MsgPackSerializer.Default.SerializeToArray m
    let decode (payload: byte[]) : DebugMessage = MsgPackSerializer.Default.Deserialize<DebugMessage> payload
