namespace TractorNet.Runtime

open System.Threading.Tasks
open TractorNet

/// What the debugger (Devx/) plugs into the runtime when the tree runs in debug mode. The runtime
/// calls it at the few places the debugger must see: a call's function raised, a debugger message
/// arrived from the parent or a child, a child came or went, the cancel ladder is about to
/// escalate, Ctrl-C at the root. Every method returns at once (nothing blocks the receive loops).
[<AllowNullLiteral>]
type internal IDebugHooks =
    /// A call's function raised `error` in this actor: the crash handler. Completes when the
    /// post-mortem REPL has closed, at once when none opens.
    abstract PostMortem: error: exn -> Task
    /// A debugger message (`Message.Debug`) from child `child`; `toChild` sends back to it.
    abstract FromChild: child: ActorId * toChild: (Message -> ValueTask) * route: string * payload: byte[] -> unit
    /// A debugger message from the parent.
    abstract FromParent: route: string * payload: byte[] -> unit
    /// This actor started child `child` as process `pid`.
    abstract ChildStarted: child: ActorId * pid: int -> unit
    /// Child `child`'s channel broke or its process exited: what it held is released.
    abstract ChildGone: child: ActorId -> unit
    /// Completes when no actor in `child`'s subtree holds the terminal lock: the cancel ladder
    /// waits for it before each escalation.
    abstract UntilReleased: child: ActorId -> Task
    /// Ctrl-C at the root: true when a REPL is open (the signal is absorbed, the prompt reprinted).
    abstract Interrupted: unit -> bool

/// The debugger of this process: null while debug mode is off, so the runtime pays one null check.
[<AbstractClass; Sealed>]
type internal DebugHooks =
    static member val Current: IDebugHooks = null with get, set
