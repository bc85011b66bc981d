/// Functions the actor tests run in child processes. They live in a module of the test assembly,
/// which child actors load through the test host's deps file.
module TractorNet.Tests.ActorFunctions

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// This module's .NET name, to enable it in daemons.
let moduleName = "TractorNet.Tests.ActorFunctions"

let pid () = task { return Environment.ProcessId }

let add (a: int) (b: int) = task { return a + b }

let greet (name: string) (times: int) () = task { return String.replicate times name }

/// Raises InvalidOperationException with `message`.
let fail (message: string) () : Task<int> = task { return invalidOp message }

/// Waits until cancelled.
let hang () : Task<int> =
    task {
        do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
        return 0
    }

/// Blocks its thread forever, deaf to cancellation: only the cancel ladder's signals end it.
let blockSynchronously () : Task<int> =
    Thread.Sleep Timeout.Infinite
    Task.FromResult 0

/// Sleeps synchronously (ignoring cancellation), then raises.
let failAfterSleep (ms: int) (message: string) () : Task<int> =
    Thread.Sleep ms
    invalidOp message

let logLevel () = task { return int (Log.current ()) }

let whoAmI () = task { return $"{Actor.name ()} parent={(Actor.parent ()).Value.Name} root={Actor.isRoot ()}" }

/// A chain `depth` actors deep whose last actor raises: errors are boxed through every level.
let rec failDeep (depth: int) () : Task<int> =
    if depth <= 1 then
        fail "deep failure" ()
    else
        nursery {
            let! p = runInActor ($"level{depth - 1}", failDeep (depth - 1))
            return! p.Result()
        }

/// Raises `message` when its call is cancelled (a failure that the cancellation itself causes).
let raiseWhenCancelled (message: string) () : Task<int> =
    task {
        try
            do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
        with :? OperationCanceledException ->
            ()

        return invalidOp message
    }

/// Two daemons that both fail, whatever the timing: b's call is running before a fails (b has
/// answered a later call over the same channel, in order), and fails in turn when a's failure
/// cancels the nursery. The nursery raises an aggregate of "first" and "second".
let failInTwoActors () : Task<int> =
    nursery {
        let! n = currentNursery
        let! a = startActor ("a", [ moduleName ])
        let! b = startActor ("b", [ moduleName ])
        let second = b.Run(raiseWhenCancelled "second")
        n.Tasks.StartSoon(fun _ -> second)
        let! _ = b.Run(logLevel)
        n.Tasks.StartSoon(fun _ -> a.Run(failAfterSleep 0 "first"))
        return 0
    }

/// Two children that both fail: the middle actor's nursery raises an aggregate.
let failTwice () : Task<int> = failInTwoActors ()

type Unserialisable = { Callback: int -> int }

let useCallback (u: Unserialisable) () = task { return u.Callback 1 }

type private Exploding() =
    static let boom: int = invalidOp "static initialiser exploded"
    static member Value = boom

let touchExploding () = task { return Exploding.Value }

let asyncDouble (x: int) () = async { return x * 2 }

/// Exits the process with `code` after `delayMs`, as if the actor's own code decided to end.
let exitWith (code: int) (delayMs: int) () : Task<int> =
    task {
        do! Task.Delay delayMs
        Environment.Exit code
        return 0
    }

/// A context function that starts and returns at once.
let startOnly (ctx: Context<int>) : Task<int> =
    task {
        do! ctx.Started 1
        return 1
    }

/// Tries to open a context with this actor itself; gives the refusal's message.
let contextWithSelf () : Task<string> =
    task {
        try
            let! _ = (Actor.portal ()).OpenContext startOnly
            return "opened a context with itself"
        with e ->
            return e.Message
    }

/// This actor's name, from an `Async` function.
let asyncName () = async { return Actor.name () }

/// This actor's name, from a `ValueTask` function.
let valueTaskName () = System.Threading.Tasks.ValueTask<string>(Actor.name ())

let describeSelf () =
    task {
        let me = Actor.current ()
        return $"{me.Name}|{me.Pid = Environment.ProcessId}|{me.Parent.Value.Name}|{me.IsRoot}|{me.Uid.Length}"
    }


/// The inodes of the sockets this process holds open (from /proc/self/fd).
let socketInodes () =
    IO.Directory.GetFiles "/proc/self/fd"
    |> Array.choose (fun fd ->
        let target = try IO.FileInfo(fd).LinkTarget with _ -> null // closed meanwhile

        if not (isNull target) && target.StartsWith "socket:[" then
            Some(target.Substring(8, target.Length - 9))
        else
            None)

/// Unix sockets in the listening state, system-wide, as (inode, path) (/proc/net/unix flag
/// __SO_ACCEPTCON).
let listeningUnixSockets () =
    IO.File.ReadAllLines "/proc/net/unix"
    |> Array.skip 1
    |> Array.choose (fun line ->
        match line.Split(' ', StringSplitOptions.RemoveEmptyEntries) with
        | fields when fields.Length >= 7 && Convert.ToInt32(fields[3], 16) &&& 0x10000 <> 0 ->
            Some(fields[6], (if fields.Length > 7 then fields[7] else ""))
        | _ -> None)
    |> Map.ofArray

/// How many connected sockets this process holds (not counting listeners: every .NET process
/// has the runtime's diagnostics socket).
let socketCount () =
    task {
        let listening = listeningUnixSockets ()
        return socketInodes () |> Array.filter (fun i -> not (listening.ContainsKey i)) |> Array.length
    }

/// Spawns a child of this actor and returns that grandchild's socket count.
let grandchildSocketCount () =
    nursery {
        let! p = runInActor socketCount
        return! p.Result()
    }
