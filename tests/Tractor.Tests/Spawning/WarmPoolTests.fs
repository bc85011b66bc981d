/// SpawnMethod.WarmPool: pooled actors behave like new ones (values, errors, cancellation,
/// streams), the pool refills, its idle processes die with the nursery (and with a SIGKILLed
/// root), and a pooled process that dies during hand-off gives a clear error.
module TractorNet.Tests.WarmPoolTests

open System
open System.Collections.Generic
open System.Diagnostics
open System.IO
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Runtime
open TractorNet.Spawning
open TractorNet.Testing

// ---------------------------------------------------------------- what the actors run

/// This module's .NET name, to enable it in daemons.
let moduleName = "TractorNet.Tests.WarmPoolTests"

let pid () = task { return Environment.ProcessId }

let whoAmI () = task { return $"{(Actor.id ()).Name} parent={(Actor.parent ()).Value.Name}" }

let fail (message: string) () : Task<int> = task { return invalidOp message }

let hang () : Task<int> =
    task {
        do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
        return 0
    }

let numbers (count: int) : IAsyncEnumerable<int> =
    taskSeq {
        for i in 0 .. count - 1 do
            yield i
    }

/// The echo server of a context: `Started(first)`, then every message back doubled.
let doubler (ctx: Context<int>) (first: int) : Task<int> =
    task {
        do! ctx.Started first
        use stream = ctx.OpenStream<int, int>()
        let mutable count = 0

        for x in stream do
            do! stream.Send(2 * x)
            count <- count + 1

        return count
    }

// ---------------------------------------------------------------- helpers

let private commandLine (pid: int) =
    try
        (File.ReadAllText $"/proc/{pid}/cmdline").Replace('\000', ' ')
    with _ ->
        ""

let private isAlive (pid: int) = Directory.Exists $"/proc/{pid}"

let private pooled = nursery.With(spawnMethod = SpawnMethod.WarmPool, poolSize = 2)

// ---------------------------------------------------------------- tests

let ``a pooled actor returns its value from a process that was warm before it was asked`` () : Task =
    task {
        let! idleBefore, childPid, who, method =
            pooled {
                let! n = currentNursery
                do! n.FillPoolAsync()
                let idle = n.Spawners.Pool.IdlePids
                let! p = runInActor ("kid", pid)
                let! childPid = p.Result()
                let! w = runInActor ("named", whoAmI)
                let! who = w.Result()
                return idle, childPid, who, n.SpawnMethod
            }

        Assert.That(method, Is.EqualTo SpawnMethod.WarmPool)
        Assert.That(idleBefore, Has.Member childPid, "the actor ran in a process the pool had started ahead")
        Assert.That(who, Is.EqualTo "named parent=root", "the pooled process took the identity of the spec")
    }

let ``a pooled actor's error reaches the nursery as a RemoteActorError`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                pooled {
                    let! n = currentNursery
                    do! n.FillPoolAsync()
                    let! p = runInActor ("failer", fail "pooled boom")
                    return! p.Result()
                })

        Assert.That(e, Is.InstanceOf<RemoteActorError>())
        Assert.That((e :?> RemoteActorError).RemoteMessage, Is.EqualTo "pooled boom")
    }

let ``cancelling the nursery cancels a pooled actor and reaps the pool`` () : Task =
    task {
        let! hangerPid, idle =
            pooled {
                let! n = currentNursery
                do! n.FillPoolAsync()
                let! p = runInActor ("hanger", hang)
                let idle = n.Spawners.Pool.IdlePids
                n.Cancel()
                return p.Pid, idle
            }

        Assert.That(isAlive hangerPid, Is.False, "the hanging pooled actor was reaped")

        for pid in idle do
            Assert.That(isAlive pid, Is.False, $"idle pooled process {pid} was reaped")
    }

let ``streams and contexts work with a pooled daemon`` () : Task =
    task {
        let! items, answers, count =
            pooled {
                let! n = currentNursery
                do! n.FillPoolAsync()
                let! d = startActor ("streamer", [ moduleName ])
                let! items = readAll (d.OpenStreamFrom(fun () -> numbers 100))
                let! ctx, first = d.OpenContext(doubler, 7)
                let answers = ResizeArray [ first ]

                let stream = ctx.OpenStream<int, int>()
                let e = stream.GetAsyncEnumerator CancellationToken.None

                for x in 1..3 do
                    do! stream.Send x
                    let! more = e.MoveNextAsync()
                    if more then answers.Add e.Current

                do! stream.DisposeAsync()

                let! count = ctx.Result()
                let! _ = d.CancelActor()
                return items, List.ofSeq answers, count
            }

        Assert.That(items, eq [ 0..99 ])
        Assert.That(answers, eq [ 7; 2; 4; 6 ])
        Assert.That(count, Is.EqualTo 3)
    }

let ``the pool refills in the background after a hand-out`` () : Task =
    task {
        let! before, after, taken, started =
            pooled {
                let! n = currentNursery
                do! n.FillPoolAsync()
                let before = n.Spawners.Pool.IdlePids
                let! p = runInActor pid
                let! taken = p.Result()
                do! n.FillPoolAsync()
                return before, n.Spawners.Pool.IdlePids, taken, n.Spawners.Pool.Started
            }

        Assert.That(before.Length, Is.EqualTo 2)
        Assert.That(after.Length, Is.EqualTo 2, "the pool is full again")
        Assert.That(after, Has.No.Member taken, "the handed-out process left the pool")
        Assert.That(started, Is.EqualTo 3, "one process was started to replace it")
    }

let ``closing the nursery reaps its idle pooled processes`` () : Task =
    task {
        let! idle =
            pooled {
                let! n = currentNursery
                do! n.FillPoolAsync()
                let idle = n.Spawners.Pool.IdlePids

                for pid in idle do
                    Assert.That(commandLine pid, Does.Contain $"{ChildCommand.ActorArgument} {WarmSignal.PlaceholderName}")

                return idle
            }

        Assert.That(idle.Length, Is.EqualTo 2)

        for pid in idle do
            Assert.That(isAlive pid, Is.False, $"idle pooled process {pid} is gone once the nursery has returned")
    }

let ``one actor can come from the pool in a nursery that starts new processes`` () : Task =
    task {
        let! method, daemonLine, coldLine =
            nursery.With(spawnMethod = SpawnMethod.NewProcess) {
                let! n = currentNursery
                let! d = spawnWith (SpawnMethod.WarmPool, startActor ("pooled-daemon", [ moduleName ]))
                let! c = startActor ("cold-daemon", [ moduleName ])
                let lines = commandLine d.Pid, commandLine c.Pid
                let! _ = d.CancelActor()
                let! _ = c.CancelActor()
                return n.SpawnMethod, fst lines, snd lines
            }

        Assert.That(method, Is.EqualTo SpawnMethod.NewProcess, "the nursery's own method is unchanged")
        Assert.That(daemonLine, Does.Contain WarmSignal.PlaceholderName, "the daemon came from the pool")
        Assert.That(coldLine, Does.Contain "cold-daemon", "the other one was a new process")
    }

let ``a pooled process that dies during hand-off gives a clear ActorSpawnError`` () : Task =
    task {
        let! e =
            pooled {
                let! n = currentNursery
                do! n.FillPoolAsync()
                let pool = n.Spawners.Pool :> ISpawner

                // Hands out a pooled process, killed (and seen dead) before its spec is sent.
                let dying =
                    { new ISpawner with
                        member _.Start request =
                            task {
                                let! child = pool.Start request
                                child.Process.Signal Native.SIGKILL |> ignore
                                do! child.Process.Exited
                                return child
                            } }

                return! catchAsync (fun () -> ChildActor.Spawn(ActorRuntime.Current, dying, "victim", [ moduleName ], Log.current (), n.Token))
            }

        Assert.That(e, Is.InstanceOf<ActorSpawnError>(), $"got {e}")
        Assert.That(e.Message, Does.Contain "victim")
        Assert.That(e.Message, Does.Contain "warm pool")
    }

let ``a pool size is checked and fixed once the pool has started`` () : Task =
    task {
        do!
            nursery {
                let! n = currentNursery
                Assert.Throws<ArgumentOutOfRangeException>(fun () -> n.PoolSize <- -1) |> ignore
                n.PoolSize <- 1
                n.SpawnMethod <- SpawnMethod.WarmPool
                do! n.FillPoolAsync()
                Assert.That(n.Spawners.Pool.IdleCount, Is.EqualTo 1)
                Assert.Throws<InvalidOperationException>(fun () -> n.PoolSize <- 3) |> ignore
            }
    }

// ---------------------------------------------------------------- a SIGKILLed root

let ``SIGKILL of the root leaves no pooled process behind, idle or handed out, at any depth`` () =
    OurProcesses.ensureMarked ()
    let psi = ProcessStartInfo("dotnet", UseShellExecute = false, RedirectStandardOutput = true)
    psi.ArgumentList.Add(testAppDll ())
    psi.ArgumentList.Add "pool"
    psi.ArgumentList.Add "2"
    use root = Process.Start psi

    try
        // The root's pool (2 idle, refilled after the keeper) and the keeper's own pool (2 idle).
        let line = root.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds 60.0).GetAwaiter().GetResult()
        Assert.That(line, Is.EqualTo "pools warm")
        let processes = OurProcesses.list ()
        Assert.That(processes.Length, Is.EqualTo(1 + 1 + 2 + 2), $"root, keeper and two pools of two: {processes}")
        Assert.That(processes |> List.filter (fun p -> p.CommandLine.Contains WarmSignal.PlaceholderName) |> List.length, Is.EqualTo 5)
    finally
        root.Kill()
        root.WaitForExit()

    let gone = eventuallyWithin (TimeSpan.FromSeconds 15.0) (fun () -> OurProcesses.list().IsEmpty)
    Assert.That(gone, Is.True, $"processes left: {OurProcesses.list ()}")

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "WarmPoolTests" [
        Register.test "a pooled actor returns its value from a process that was warm before it was asked" ``a pooled actor returns its value from a process that was warm before it was asked``
        Register.test "a pooled actor's error reaches the nursery as a RemoteActorError" ``a pooled actor's error reaches the nursery as a RemoteActorError``
        Register.test "cancelling the nursery cancels a pooled actor and reaps the pool" ``cancelling the nursery cancels a pooled actor and reaps the pool``
        Register.test "streams and contexts work with a pooled daemon" ``streams and contexts work with a pooled daemon``
        Register.test "the pool refills in the background after a hand-out" ``the pool refills in the background after a hand-out``
        Register.test "closing the nursery reaps its idle pooled processes" ``closing the nursery reaps its idle pooled processes``
        Register.test "one actor can come from the pool in a nursery that starts new processes" ``one actor can come from the pool in a nursery that starts new processes``
        Register.test "a pooled process that dies during hand-off gives a clear ActorSpawnError" ``a pooled process that dies during hand-off gives a clear ActorSpawnError``
        Register.test "a pool size is checked and fixed once the pool has started" ``a pool size is checked and fixed once the pool has started``
        Register.test "SIGKILL of the root leaves no pooled process behind, idle or handed out, at any depth" ``SIGKILL of the root leaves no pooled process behind, idle or handed out, at any depth``
    ]
