/// Logging through Microsoft.Extensions.Logging: a root's ILoggerFactory receives the records of every actor of
/// the tree, each naming its actor; the level filter still applies; a child's queue towards the root never blocks
/// it and counts what it drops; without a factory nothing changes (children write standard error themselves).
module TractorNet.Tests.LoggerFactoryTests

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Microsoft.Extensions.Logging
open NUnit.Framework
open TractorNet
open TractorNet.Runtime

/// One record a capturing logger received: its category, level, text and structured properties.
type Captured =
    { Category: string
      Level: Microsoft.Extensions.Logging.LogLevel
      Text: string
      Properties: Map<string, obj> }

/// A logger factory that keeps every record it is given.
type CapturingFactory() =
    let records = ConcurrentQueue<Captured>()
    member _.Records = List.ofSeq records

    interface ILoggerFactory with
        member _.AddProvider _ = ()
        member _.Dispose() = ()

        member _.CreateLogger category =
            { new ILogger with
                member _.BeginScope _ = null
                member _.IsEnabled _ = true

                member _.Log(level, _, state, error, format) =
                    let properties =
                        match box state with
                        | :? IReadOnlyList<KeyValuePair<string, obj>> as kvs -> kvs |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq
                        | _ -> Map.empty

                    records.Enqueue
                        { Category = category
                          Level = level
                          Text = format.Invoke(state, error)
                          Properties = properties } }

// ---- run in child actors ----

/// Logs at Info.
let logHello () : Task<int> =
    task {
        Log.info "hello from the grandchild"
        return 1
    }

/// Logs at Info and Debug, then has a grandchild do the same.
let logAndSpawn () : Task<int> =
    nursery {
        Log.info "hello from the child"
        Log.debug "too detailed for the child"
        let! p = runInActor ("log_grandchild", logHello)
        return! p.Result()
    }


/// Whether this actor sends its records up, and whether the logging abstractions were loaded.
let forwardingAndAbstractions () : Task<string> =
    task {
        let loaded =
            AppDomain.CurrentDomain.GetAssemblies()
            |> Array.exists (fun a -> a.GetName().Name = "Microsoft.Extensions.Logging.Abstractions")

        return $"{Log.forwardsChildren ()} {loaded}"
    }

/// Runs `body` with `factory` as the root's and level `level`, restoring standard error and the level afterwards.
let private withFactoryAt (level: LogLevel) (factory: ILoggerFactory) (body: unit -> Task<'T>) : Task<'T> =
    task {
        let before = Log.current ()
        Log.setLevel level
        Log.useLoggerFactory factory

        try
            return! body ()
        finally
            Log.useStandardError ()
            Log.setLevel before
    }

/// `withFactoryAt` level Info.
let private withFactory (factory: ILoggerFactory) (body: unit -> Task<'T>) : Task<'T> = withFactoryAt LogLevel.Info factory body

let ``the runtime's records name their layer as category and every record its actor's uid`` () : Task =
    task {
        let capture = new CapturingFactory()

        let! child =
            withFactoryAt LogLevel.Debug capture (fun () ->
                nursery {
                    let! d = startActor ("cat_child", [])
                    let! _ = d.CancelActor() // the child logs "cancel requested by the parent" (Runtime/ChildRunner.fs)
                    return d.Actor
                })

        let fromChild = capture.Records |> List.filter (fun r -> string r.Properties["Uid"] = child.Uid)
        let cancel = fromChild |> List.tryFind (fun r -> string r.Properties["Message"] = "cancel requested by the parent")
        Assert.That(cancel.IsSome, Is.True, $"the child's records: %A{fromChild}")
        Assert.That(cancel.Value.Category, Is.EqualTo "TractorNet.Runtime")
        Assert.That(string cancel.Value.Properties["Actor"], Is.EqualTo "cat_child")
    }

let ``a layer's category is the source folder of the file that logs`` () =
    Assert.That(LayerLog.CategoryOf "/build/src/Tractor.FSharp/Runtime/Peer.fs", Is.EqualTo "TractorNet.Runtime")
    Assert.That(LayerLog.CategoryOf @"C:\src\Tractor.FSharp\Discovery\Registrar.fs", Is.EqualTo "TractorNet.Discovery")
    Assert.That(LayerLog.CategoryOf "/_/src/Tractor.FSharp/ChildMain.fs", Is.EqualTo "TractorNet")
    Assert.That(LayerLog.CategoryOf "", Is.EqualTo "TractorNet")

let ``records of a child and a grandchild land in the root's factory, each naming its actor`` () : Task =
    task {
        let capture = new CapturingFactory()

        let! _ =
            withFactory capture (fun () ->
                nursery {
                    Log.info "hello from the root"
                    let! p = runInActor ("log_child", logAndSpawn)
                    return! p.Result()
                })

        let mine = capture.Records |> List.filter (fun r -> r.Text.Contains "hello from" || r.Text.Contains "too detailed")
        let byActor = mine |> List.map (fun r -> string r.Properties["Actor"], string r.Properties["Message"]) |> List.sort

        Assert.That(
            byActor,
            Is.EqualTo<(string * string) list>
                [ "log_child", "hello from the child"
                  "log_grandchild", "hello from the grandchild"
                  "root", "hello from the root" ]
        )

        for r in mine do
            Assert.That(r.Category, Is.EqualTo "TractorNet")
            Assert.That(r.Level, Is.EqualTo Microsoft.Extensions.Logging.LogLevel.Information)
            Assert.That(r.Text, Does.StartWith $"""[{r.Properties["Actor"]} {r.Properties["Pid"]}]""")
    }

let ``without a factory a child writes standard error itself and never loads the logging abstractions`` () : Task =
    task {
        let! answer =
            nursery {
                let! p = runInActor ("plain_child", forwardingAndAbstractions)
                return! p.Result()
            }

        Assert.That(answer, Is.EqualTo "False False")
    }

let ``with a factory a child sends its records up`` () : Task =
    task {
        let! answer =
            withFactory (new CapturingFactory()) (fun () ->
                nursery {
                    let! p = runInActor ("forwarding_child", forwardingAndAbstractions)
                    return! p.Result()
                })

        Assert.That(answer, Does.StartWith "True")
    }

let ``a full queue drops records without waiting and reports how many`` () : Task =
    task {
        let gate = TaskCompletionSource()
        let sent = ConcurrentQueue<Message>()

        let send (m: Message) : ValueTask =
            sent.Enqueue m
            ValueTask(gate.Task)

        let f = LogForwarder(send, 4, 1)

        for i in 1..10 do
            f.Enqueue
                { Ticks = 0L
                  Level = LogLevel.Info
                  Category = "TractorNet"
                  Actor = "a"
                  Uid = "u"
                  Pid = 1
                  Message = string i }

        // Every Enqueue returned although the first send is still blocked.
        gate.SetResult()
        do! f.Flush(TimeSpan.FromSeconds 10.0)

        let delivered, dropped =
            sent
            |> Seq.fold
                (fun (d, l) m ->
                    match m with
                    | LogRecords(records, lost) -> d + records.Length, l + lost
                    | _ -> d, l)
                (0, 0L)

        Assert.That(delivered + int dropped, Is.EqualTo 10)
        // At most the queue (4) and the one record in flight got through.
        Assert.That(dropped, Is.GreaterThanOrEqualTo 5L)
    }

let ``dropped records reach the root as one warning naming the actor`` () : Task =
    task {
        let capture = new CapturingFactory()

        do!
            withFactory capture (fun () -> task {
                LogForwarder.Relay({ Name = "busy"; Uid = "u" }, [], 7L)
            })

        let warning = capture.Records |> List.find (fun r -> r.Text.Contains "dropped 7 log records")
        Assert.That(warning.Level, Is.EqualTo Microsoft.Extensions.Logging.LogLevel.Warning)
        Assert.That(string warning.Properties["Actor"], Is.EqualTo "busy")
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "LoggerFactoryTests" [
        Register.test "records of a child and a grandchild land in the root's factory, each naming its actor" ``records of a child and a grandchild land in the root's factory, each naming its actor``
        Register.test "the runtime's records name their layer as category and every record its actor's uid" ``the runtime's records name their layer as category and every record its actor's uid``
        Register.test "a layer's category is the source folder of the file that logs" ``a layer's category is the source folder of the file that logs``
        Register.test "without a factory a child writes standard error itself and never loads the logging abstractions" ``without a factory a child writes standard error itself and never loads the logging abstractions``
        Register.test "with a factory a child sends its records up" ``with a factory a child sends its records up``
        Register.test "a full queue drops records without waiting and reports how many" ``a full queue drops records without waiting and reports how many``
        Register.test "dropped records reach the root as one warning naming the actor" ``dropped records reach the root as one warning naming the actor``
    ]
