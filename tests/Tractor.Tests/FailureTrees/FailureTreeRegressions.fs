/// Plain regression tests for what the failure-tree fuzzer found, one per finding, named after it.
module TractorNet.Tests.FailureTreeRegressions

open System
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Runtime
open TractorNet.Testing
open TractorNet.Tests.FailureTreeNodes

/// The pids of this process's children (every thread's), from /proc.
let private ownChildren () =
    IO.Directory.GetDirectories "/proc/self/task"
    |> Array.collect (fun t ->
        try
            IO.File.ReadAllText(IO.Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries)
        with _ ->
            [||])

[<Runtime.InteropServices.DllImport("libc")>]
extern int private kill(int pid, int signal)

/// Starts spawning a child actor and, as soon as its process exists, stops it with SIGSTOP and
/// SIGKILLs its own process. The stop stands for a starting process that gets no CPU (the
/// machine under load): caught early enough (forked, not yet through setpriv, whose
/// PR_SET_PDEATHSIG comes before exec), it has nothing armed and would wait for ever; caught
/// later, its parent-death signal kills it. The watch spins on a thread of its own: a timer is
/// coarser than the window.
let dieWhileSpawning () : Task<int> =
    nursery {
        let! n = currentNursery
        let spawning = (runInActor ("grandchild", ActorFunctions.hang)) n

        Threading.Thread(
            (fun () ->
                let mutable child = 0

                while child = 0 && not spawning.IsCompleted do
                    match ownChildren () with
                    | [||] -> Threading.Thread.SpinWait 20
                    | pids -> child <- int pids[0]

                if child <> 0 then
                    kill (child, 19) |> ignore // SIGSTOP

                kill (Environment.ProcessId, 9) |> ignore),
            IsBackground = true
        )
            .Start()

        do! Task.Delay -1
        return 0
    }

/// Starts a plain process (`sleep`), which holds no parent-death signal, like an actor process
/// not yet through its start-up; then SIGKILLs its own process.
let dieBesideAnUnarmedProcess () : Task<int> =
    task {
        use _ = Diagnostics.Process.Start("sleep", "600")
        kill (Environment.ProcessId, 9) |> ignore
        do! Task.Delay -1
        return 0
    }

/// The actor an error says has died, if it is a death report.
let private deathOf (e: exn) =
    match e with
    | :? ActorDiedError as d -> Some d.Actor.Name
    | :? TransportClosedError as t -> Some(t.Peer.Split('#')[0])
    | _ -> None

let ``a daemon that dies during a portal call is reported once`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! d = startActor ("dies", [ moduleName ])
                    return! d.Run(exitAfter 200)
                })

        Assert.That(e, Is.Not.InstanceOf<AggregateException>(), $"one death, one error; got {e}")
        Assert.That(deathOf e, Is.EqualTo(Some "dies"), $"got {e}")
    }

/// Asserts that `e` is the one ActorDiedError of actor "dies" (exit code 3), not a pair.
let private diedOnce (e: exn) =
    match e with
    | :? ActorDiedError as d ->
        Assert.That(d.Actor.Name, Is.EqualTo "dies")
        Assert.That(d.ExitCode, Is.EqualTo 3)
    | other -> Assert.Fail $"one death, one ActorDiedError; got {other}"

/// The error a nursery raises when its daemon "dies" runs `body`.
let private errorWhileDaemonRuns (body: Portal -> Task<'T>) : Task<exn> =
    catchAsync (fun () ->
        nursery {
            let! d = startActor ("dies", [ moduleName ])
            return! body d
        })

let ``a daemon that dies during a context is reported once`` () : Task =
    task {
        let received = ResizeArray<int>()

        let! e =
            errorWhileDaemonRuns (fun d ->
                task {
                    let! ctx, _ = d.OpenContext(exitInContext, 200)
                    use _ = ctx
                    use stream = ctx.OpenStream<int, int>()

                    for x in stream do
                        received.Add x

                    return! ctx.Result()
                })

        Assert.That(List.ofSeq received, Is.EqualTo(box [ 1 ]), "the item sent before the death arrives")
        diedOnce e
    }

let ``a daemon that dies before its context started is reported once`` () : Task =
    task {
        let! e =
            errorWhileDaemonRuns (fun d ->
                task {
                    let! ctx, _ = d.OpenContext(exitBeforeStarted, 200)
                    use _ = ctx
                    return! ctx.Result()
                })

        diedOnce e
    }

let ``a daemon that dies during a one-way stream is reported once`` () : Task =
    task {
        let received = ResizeArray<int>()

        let! e =
            errorWhileDaemonRuns (fun d ->
                task {
                    for x in d.OpenStreamFrom(fun () -> exitInStream 200) do
                        received.Add x

                    return 0
                })

        Assert.That(List.ofSeq received, Is.EqualTo(box [ 1 ]), "the item sent before the death arrives")
        diedOnce e
    }

let ``a runInActor child that dies is reported as ActorDiedError with its exit code`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor ("dies", exitAfter 200)
                    return! p.Result()
                })

        diedOnce e
    }

/// Runs `parent` in a child of the root and asserts that no process of ours is alive (without a
/// SIGKILL pending) once the nursery has exited.
let private goneWhenNurseryExits (parent: unit -> Task<int>) : Task =
    task {
        let! e = catchAsync parent
        let listed = OurProcesses.list ()
        let alive = listed |> List.filter (fun p -> not (FailureTreeProperties.dying p.Pid))
        // The dying too: a SIGKILLed process may not have been scheduled to exit yet (a loaded
        // machine), and the zombie check after the test is immediate.
        OurProcesses.killAll listed
        // A parent that dies at once may do so before its parent has read its Ready.
        let died =
            match e with
            | :? ActorSpawnError as s -> s.Message.StartsWith "actor 'parent'" && s.Message.Contains "exited"
            | _ -> deathOf e = Some "parent"

        Assert.That(died, Is.True, $"got {e}")
        Assert.That(alive |> List.map _.CommandLine, Is.Empty, "processes alive after the nursery exited")
    }

let ``a grandchild still starting when its parent is SIGKILLed is gone when the nursery exits`` () : Task =
    goneWhenNurseryExits (fun () ->
        nursery {
            let! p = runInActor ("parent", dieWhileSpawning)
            return! p.Result()
        })

/// The same without the race: what the root's kill of its child's process group must reach.
let ``a process without a parent-death signal below a child of the root is gone when that child is SIGKILLed and the nursery exits`` () : Task =
    goneWhenNurseryExits (fun () ->
        nursery {
            let! p = runInActor ("parent", dieBesideAnUnarmedProcess)
            return! p.Result()
        })

/// The process group of process `pid` (field 5 of /proc/<pid>/stat).
let private groupOf (pid: int) =
    let stat = IO.File.ReadAllText $"/proc/{pid}/stat"
    int (stat.Substring(stat.LastIndexOf ')' + 2).Split(' ')[2])

/// This process's group.
let ownGroup () = task { return groupOf Environment.ProcessId }

/// "pid group grandchild's-group", seen from a child of the root.
let groupsBelow () : Task<string> =
    nursery {
        let! p = runInActor ("grandchild", ownGroup)
        let! grandchild = p.Result()
        return $"{Environment.ProcessId} {groupOf Environment.ProcessId} {grandchild}"
    }

let ``an actor of the root leads a process group that its own actors share`` () : Task =
    task {
        let! seen =
            nursery {
                let! p = runInActor ("child", groupsBelow)
                return! p.Result()
            }

        match seen.Split ' ' |> Array.map int with
        | [| pid; group; grandchildGroup |] ->
            Assert.That(group, Is.EqualTo pid, "the child leads its own group")
            Assert.That(grandchildGroup, Is.EqualTo pid, "the grandchild stays in its parent's group")
            Assert.That(groupOf Environment.ProcessId, Is.Not.EqualTo pid, "the root is not in it")
        | _ -> Assert.Fail $"unexpected answer: {seen}"
    }

/// A link whose sends throw at once (like a closed IPC channel) once `Close` was called, and
/// which never receives anything (the peer has not noticed the close yet).
type private ClosingLink() =
    let mutable closed = false
    member _.Close() = closed <- true

    interface IMessageLink with
        member _.Remote = { Name = "far"; Uid = "far000000000" }

        member _.Send(_msg) =
            if closed then
                raise (Ipc.ChannelClosedException "cannot send: the channel to far is closed")

            ValueTask.CompletedTask

        member this.SendNow(msg) = (this :> IMessageLink).Send msg
        member _.HasBuffered = false
        member this.SendSoon(msg) = (this :> IMessageLink).Send msg

        member _.Receive(_ct) =
            ValueTask<Message voption>(Task.Delay(Threading.Timeout.Infinite).ContinueWith(fun (_: Task) -> ValueNone))

        member _.ReceiveNext() =
            ValueTask<bool>(Task.Delay(Threading.Timeout.Infinite).ContinueWith(fun (_: Task) -> false))

        member _.Current = Unchecked.defaultof<Incoming>

        member _.SendItem(_key, _codec, _value, _soon) =
            if closed then
                raise (Ipc.ChannelClosedException "cannot send: the channel to far is closed")

            ValueTask.CompletedTask

        member _.SendItems(_key, _items, _count) =
            if closed then
                raise (Ipc.ChannelClosedException "cannot send: the channel to far is closed")

            ValueTask.CompletedTask

        member _.Writing = false

        member _.ItemCodec() = ItemCodecs.create Wire.MsgPackSerializer.Default

        member _.DisposeAsync() = ValueTask.CompletedTask

let ``cancelling a call whose connection just closed raises nothing from the cancellation`` () =
    let link = ClosingLink()
    let codec = PayloadCodec Wire.MsgPackSerializer.Default :> IPayloadCodec
    let peer = Peer(link, { Name = "near"; Uid = "near00000000" }, codec, (fun () -> Seq.empty), Threading.CancellationToken.None, ignore)
    peer.Start()
    use cts = new Threading.CancellationTokenSource()
    let call = FunctionRefs.ofQuotation <@ fun () -> ActorFunctions.pid () @>
    let running = peer.Call(call.Function, [], cts.Token)
    // The connection breaks; the receive loop has not seen it yet, so the call is still pending.
    link.Close()
    // In a nursery this Cancel is the nursery's: whatever a callback throws becomes one more
    // error of the nursery (the fuzzer saw a ChannelClosedException among the real errors).
    Assert.DoesNotThrow(fun () -> cts.Cancel())
    ignore running

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "FailureTreeRegressions" [
        Register.test "a daemon that dies during a portal call is reported once" ``a daemon that dies during a portal call is reported once``
        Register.test "a daemon that dies during a context is reported once" ``a daemon that dies during a context is reported once``
        Register.test "a daemon that dies before its context started is reported once" ``a daemon that dies before its context started is reported once``
        Register.test "a daemon that dies during a one-way stream is reported once" ``a daemon that dies during a one-way stream is reported once``
        Register.test "a runInActor child that dies is reported as ActorDiedError with its exit code" ``a runInActor child that dies is reported as ActorDiedError with its exit code``
        Register.test "a grandchild still starting when its parent is SIGKILLed is gone when the nursery exits" ``a grandchild still starting when its parent is SIGKILLed is gone when the nursery exits``
        Register.test "a process without a parent-death signal below a child of the root is gone when that child is SIGKILLed and the nursery exits" ``a process without a parent-death signal below a child of the root is gone when that child is SIGKILLed and the nursery exits``
        Register.test "an actor of the root leads a process group that its own actors share" ``an actor of the root leads a process group that its own actors share``
        Register.test "cancelling a call whose connection just closed raises nothing from the cancellation" ``cancelling a call whose connection just closed raises nothing from the cancellation``
    ]
