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

/// Starts spawning a child actor and SIGKILLs its own process as soon as the child's process
/// runs the actor host: the child is still starting (.NET start-up, a few hundred ms), before it
/// could arm its parent-death signal.
let dieWhileSpawning () : Task<int> =
    nursery {
        let! n = currentNursery
        let spawning = (runInActor ("grandchild", ActorFunctions.hang)) n

        // The child has exec'd the actor host (its command line names it) but is still starting.
        let started () =
            ownChildren ()
            |> Array.exists (fun pid ->
                try
                    IO.File.ReadAllText($"/proc/{pid}/cmdline").Contains "grandchild"
                with _ ->
                    false)

        while not (started ()) && not spawning.IsCompleted do
            do! Task.Delay 1

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

[<Test>]
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

[<Test>]
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

[<Test>]
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

[<Test>]
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

[<Test>]
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

/// Runs `dieWhileSpawning` in a child of the root, beside `loops` busy loops, and asserts that
/// no process of ours is alive (without a SIGKILL pending) once the nursery has exited.
let private grandchildGoneWithParent (loops: int) : Task =
    task {
        let! e =
            task {
                use _ = CpuLoad.start loops

                return!
                    catchAsync (fun () ->
                        nursery {
                            let! p = runInActor ("parent", dieWhileSpawning)
                            return! p.Result()
                        })
            }

        let alive = OurProcesses.list () |> List.filter (fun p -> not (FailureTreeProperties.dying p.Pid))
        OurProcesses.killAll alive
        Assert.That(deathOf e, Is.EqualTo(Some "parent"), $"got {e}")
        Assert.That(alive |> List.map _.CommandLine, Is.Empty, "processes alive after the nursery exited")
    }

[<Test>]
let ``a grandchild still starting when its parent is SIGKILLed is gone when the nursery exits`` () : Task =
    grandchildGoneWithParent 0

/// The same race with the cores starved: the grandchild's own start-up (and with it its own
/// check that its parent lives) is slowed down the most there.
[<Test>]
let ``a grandchild still starting when its parent is SIGKILLed is gone when the nursery exits, with the cores starved`` () : Task =
    grandchildGoneWithParent (3 * Environment.ProcessorCount)

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

[<Test>]
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

        member _.Receive(_ct) =
            ValueTask<Message voption>(Task.Delay(Threading.Timeout.Infinite).ContinueWith(fun (_: Task) -> ValueNone))

        member _.ReceiveNext() =
            ValueTask<bool>(Task.Delay(Threading.Timeout.Infinite).ContinueWith(fun (_: Task) -> false))

        member _.Current = Unchecked.defaultof<Incoming>

        member _.SendItem(_key, _codec, _value) =
            if closed then
                raise (Ipc.ChannelClosedException "cannot send: the channel to far is closed")

            ValueTask.CompletedTask

        member _.ItemCodec() = ItemCodecs.create Wire.MsgPackSerializer.Default

        member _.DisposeAsync() = ValueTask.CompletedTask

[<Test>]
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
