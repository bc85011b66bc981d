namespace TractorNet.Devx

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Runtime.CompilerServices
open System.Text
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Runtime

/// One actor of the tree as the root knows it (for the REPL's `tree`).
type internal ActorNode =
    { Id: ActorId
      Pid: int
      /// The parent's unique id ("" at the root).
      Parent: string
      mutable Alive: bool }

/// The debugger of one actor in a debug-mode tree (installed as `DebugHooks.Current`). In every
/// actor it runs this actor's REPL sessions and relays the debugger's messages between its parent
/// and its children, remembering which child each route came through, which sessions below each
/// child hold the terminal lock (the cancel ladder waits for them) and releasing them when a
/// child's channel breaks. At the root it also owns the terminal, the FIFO lock and the tree.
type internal DebugRelay(rt: ActorRuntime, toParent: (Message -> ValueTask) option) =
    let self = rt.Id
    let isRoot = toParent.IsNone
    let pid = Environment.ProcessId
    // Everything below is guarded by `gate`.
    let gate = obj ()
    let routes = Dictionary<string, string * (Message -> ValueTask)>()
    let sessionsVia = Dictionary<string, HashSet<LockKey>>()
    let heldVia = Dictionary<string, HashSet<LockKey>>()
    let releasedWaiters = Dictionary<string, TaskCompletionSource>()
    let goneChildren = HashSet<string>()
    // Root only: the lock, the terminal, the tree.
    let terminalLock = TerminalLock()
    let interactive = isRoot && LocalTerminal.IsInteractive
    let nodes = Dictionary<string, ActorNode>()
    // This actor's sessions waiting for an answer from the root, by session.
    let replies = ConcurrentDictionary<int, TaskCompletionSource<DebugMessage>>()
    let mutable nextSession = 0
    let crashed = ConditionalWeakTable<exn, obj>()
    let mutable toldNoTerminal = 0

    do nodes[self.Uid] <- { Id = self; Pid = pid; Parent = ""; Alive = true }

    let setOf (d: Dictionary<string, HashSet<LockKey>>) key =
        match d.TryGetValue key with
        | true, s -> s
        | _ ->
            let s = HashSet()
            d[key] <- s
            s

    let send (f: Message -> ValueTask) (m: Message) =
        task {
            try
                do! f m
            with e ->
                LayerLog.Debug $"debugger: could not relay a message: {e.Message}"
        }
        |> ignore

    /// Signals the ladder's waiters of `child` once nothing below it holds the lock (under `gate`).
    let signalReleased (child: string) =
        match heldVia.TryGetValue child with
        | true, s when s.Count > 0 -> ()
        | _ ->
            match releasedWaiters.TryGetValue child with
            | true, w ->
                releasedWaiters.Remove child |> ignore
                w.TrySetResult() |> ignore
            | _ -> ()

    let deliverLocal (m: DebugMessage) =
        let session =
            match m with
            | Granted s
            | NoTerminal(s, _)
            | Line(s, _)
            | TreeText(s, _) -> s
            | _ -> -1

        match replies.TryGetValue session with
        | true, tcs -> tcs.TrySetResult m |> ignore
        | _ -> ()

    /// Sends `m` towards the actor of `route` (this one, or one below).
    let down (route: string) (m: DebugMessage) =
        if route = self.Uid then
            deliverLocal m
        else
            let target =
                lock gate (fun () ->
                    match routes.TryGetValue route with
                    | true, (child, f) ->
                        match m with
                        | Granted s -> (setOf heldVia child).Add { Route = route; Session = s } |> ignore
                        | _ -> ()

                        Some f
                    | _ -> None)

            match target with
            | Some f -> send f (Debug(route, DebugMessage.encode m))
            | None ->
                // The actor went away meanwhile: a grant must not stay with nobody.
                match m with
                | Granted s when isRoot -> terminalLock.Release { Route = route; Session = s }
                | _ -> ()

    let renderTree () =
        lock gate (fun () ->
            let b = StringBuilder()
            let holder = terminalLock.Holder |> Option.map _.Route
            let waiting = terminalLock.Waiting |> List.map _.Route |> set

            let rec draw (node: ActorNode) (indent: string) (last: bool) (top: bool) =
                let state =
                    if not node.Alive then "exited"
                    elif holder = Some node.Id.Uid then "in the REPL (holds the terminal)"
                    elif waiting.Contains node.Id.Uid then "waiting for the terminal"
                    else "running"

                let branch = if top then "" elif last then "└─ " else "├─ "
                b.Append($"{indent}{branch}('{node.Id.Name}', '{node.Id.Uid}') pid {node.Pid} {state}\n") |> ignore
                let children = nodes.Values |> Seq.filter (fun n -> n.Parent = node.Id.Uid) |> List.ofSeq
                let indent = if top then indent else indent + (if last then "   " else "│  ")

                children |> List.iteri (fun i c -> draw c indent (i = children.Length - 1) false)

            draw nodes[self.Uid] "" true true
            b.ToString())

    /// The root's answer to a message of the debugger's protocol from `route`.
    let atRoot (route: string) (m: DebugMessage) =
        match m with
        | Acquire(s, _, _) ->
            if interactive then
                terminalLock.Acquire({ Route = route; Session = s }, fun () -> down route (Granted s))
            else
                down route (NoTerminal(s, "the root actor's standard input is not a terminal"))
        | Write text -> (LocalTerminal.Instance :> ITerminal).Write text
        | ReadLine(s, prompt) ->
            (LocalTerminal.Instance :> ITerminal)
                .ReadLine(prompt)
                .ContinueWith(fun (t: Task<string>) -> down route (Line(s, (if t.IsCompletedSuccessfully then t.Result else null))))
            |> ignore
        | Release s -> terminalLock.Release { Route = route; Session = s }
        | TreeQuery s -> down route (TreeText(s, renderTree ()))
        | ChildStarted(parent, child, childPid) ->
            lock gate (fun () -> nodes[child.Uid] <- { Id = child; Pid = childPid; Parent = parent; Alive = true })
        | ChildGone child ->
            lock gate (fun () ->
                match nodes.TryGetValue child with
                | true, n -> n.Alive <- false
                | _ -> ())
        | Granted _
        | NoTerminal _
        | Line _
        | TreeText _ -> ()

    /// Sends one of this actor's own messages towards the root.
    let up (m: DebugMessage) =
        match toParent with
        | None -> atRoot self.Uid m
        | Some f -> send f (Debug(self.Uid, DebugMessage.encode m))

    /// Sends `request` for session `s` and waits for the root's answer.
    let ask (s: int) (request: DebugMessage) (ct: CancellationToken) : Task<DebugMessage> =
        let tcs = TaskCompletionSource<DebugMessage>(TaskCreationOptions.RunContinuationsAsynchronously)
        replies[s] <- tcs
        up request
        if ct.CanBeCanceled then tcs.Task.WaitAsync ct else tcs.Task

    let remoteTerminal (s: int) =
        { new ITerminal with
            member _.Write text = up (Write text)

            member _.ReadLine prompt =
                task {
                    match! ask s (ReadLine(s, prompt)) CancellationToken.None with
                    | Line(_, text) -> return text
                    | _ -> return null
                } }

    /// Whether an actor below this one holds the terminal lock (as the cancel ladder sees it).
    member _.HeldBelow = lock gate (fun () -> heldVia.Values |> Seq.exists (fun s -> s.Count > 0))

    /// Opens a REPL for `ctx` once the terminal lock is this session's. The wait for the lock
    /// ends with the actor's cancellation (the request is withdrawn); the REPL itself does not.
    member _.Session(ctx: ReplContext) : Task<ReplOutcome> =
        task {
            let s = Interlocked.Increment &nextSession

            try
                let! answer =
                    task {
                        try
                            return! ask s (Acquire(s, self, pid)) rt.Token
                        with :? OperationCanceledException ->
                            up (Release s)
                            return raise (OperationCanceledException $"actor '{self}' was cancelled while it waited for the terminal")
                    }

                match answer with
                | Granted _ ->
                    try
                        let terminal = if isRoot then LocalTerminal.Instance :> ITerminal else remoteTerminal s

                        let tree () =
                            if isRoot then
                                Task.FromResult(renderTree ())
                            else
                                task {
                                    match! ask s (TreeQuery s) CancellationToken.None with
                                    | TreeText(_, text) -> return text
                                    | _ -> return ""
                                }

                        return! Repl.run terminal ctx tree
                    finally
                        up (Release s)
                | NoTerminal(_, reason) ->
                    // Said once per actor: a pause in a loop must not flood the log.
                    if Interlocked.Exchange(&toldNoTerminal, 1) = 0 then
                        let what = match ctx.Kind with Paused -> "pause" | Crashed -> "post-mortem"
                        let at = if String.IsNullOrEmpty ctx.File then "" else $" at {ctx.File}:{ctx.Line}"
                        eprintfn $"debugger: {what} in actor ('{self.Name}', '{self.Uid}'){at} skipped: {reason}; continuing (further pauses in this actor continue silently)"

                    return Continue
                | _ -> return Continue
            finally
                replies.TryRemove s |> ignore
        }

    /// The crash handler: a REPL on `error` in this actor, once per error object.
    member this.PostMortem(error: exn) : Task =
        match error with
        | :? OperationCanceledException
        | :? DebuggerQuitError -> Task.CompletedTask
        | _ when (let mutable o = null in crashed.TryGetValue(error, &o)) -> Task.CompletedTask
        | _ ->
            crashed.AddOrUpdate(error, null)

            task {
                let ctx =
                    { Kind = Crashed
                      Actor = self
                      Pid = pid
                      File = ""
                      Line = 0
                      Values = []
                      Error = error
                      Stack = StackText.ofException error }

                try
                    let! _ = this.Session ctx
                    ()
                with e ->
                    LayerLog.Debug $"debugger: no post-mortem for {error.GetType().Name}: {e.Message}"
            }

    interface IDebugHooks with
        member this.PostMortem error = this.PostMortem error

        member _.FromChild(child, toChild, route, payload) =
            let m = DebugMessage.decode payload

            lock gate (fun () ->
                routes[route] <- (child.Uid, toChild)

                match m with
                | Acquire(s, _, _) -> (setOf sessionsVia child.Uid).Add { Route = route; Session = s } |> ignore
                | Release s ->
                    let key = { Route = route; Session = s }
                    (setOf sessionsVia child.Uid).Remove key |> ignore
                    (setOf heldVia child.Uid).Remove key |> ignore
                    signalReleased child.Uid
                | _ -> ())

            match toParent with
            | None -> atRoot route m
            | Some f -> send f (Debug(route, payload))

        member _.FromParent(route, payload) = down route (DebugMessage.decode payload)

        member _.ChildStarted(child, childPid) = up (ChildStarted(self.Uid, child, childPid))

        member _.ChildGone child =
            let first, keys =
                lock gate (fun () ->
                    let first = goneChildren.Add child.Uid
                    let keys = match sessionsVia.TryGetValue child.Uid with | true, s -> List.ofSeq s | _ -> []
                    sessionsVia.Remove child.Uid |> ignore
                    heldVia.Remove child.Uid |> ignore
                    signalReleased child.Uid

                    for r in routes |> Seq.filter (fun kv -> fst kv.Value = child.Uid) |> Seq.map _.Key |> List.ofSeq do
                        routes.Remove r |> ignore

                    first, keys)

            for key in keys do
                match toParent with
                | None -> terminalLock.Release key
                | Some f -> send f (Debug(key.Route, DebugMessage.encode (Release key.Session)))

            if first then
                up (ChildGone child.Uid)

        member _.UntilReleased child =
            lock gate (fun () ->
                match heldVia.TryGetValue child.Uid with
                | true, s when s.Count > 0 ->
                    match releasedWaiters.TryGetValue child.Uid with
                    | true, w -> w.Task
                    | _ ->
                        let w = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
                        releasedWaiters[child.Uid] <- w
                        w.Task
                | _ -> Task.CompletedTask)

        member _.Interrupted() =
            if isRoot && terminalLock.Holder.IsSome then
                LocalTerminal.Instance.Interrupted "Ignoring SIGINT while debug REPL in use"
                true
            else
                false

module internal DebugRelay =
    let private installGate = obj ()

    /// The debugger of this process, if debug mode is on.
    let current () =
        match DebugHooks.Current with
        | :? DebugRelay as r -> Some r
        | _ -> None

    /// Turns debug mode on at the root (idempotent).
    let installRoot (rt: ActorRuntime) =
        lock installGate (fun () ->
            if isNull DebugHooks.Current then
                DebugHooks.Current <- DebugRelay(rt, None))

    /// Turns debug mode on in a child actor: its debugger talks to the root through `link`.
    let installChild (rt: ActorRuntime) (link: IMessageLink) =
        lock installGate (fun () -> DebugHooks.Current <- DebugRelay(rt, Some link.Send))
