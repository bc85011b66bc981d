/// Errors travel up: remote errors keep their type, message and source; several aggregate.
module TractorNet.Tests.ActorErrorTests

open System
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ActorFunctions

let ``a remote error keeps its type name, message, source and stack`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor ("failer", fail "boom")
                    return! p.Result()
                })

        match e with
        | :? RemoteActorError as r ->
            Assert.That(r.TypeName, Is.EqualTo "System.InvalidOperationException")
            Assert.That(r.RemoteMessage, Is.EqualTo "boom")
            Assert.That(r.Source.Name, Is.EqualTo "failer")
            Assert.That(r.BoxedType, Is.EqualTo typeof<InvalidOperationException>)
            Assert.That(r.RemoteStackTrace, Does.Contain "fail")
            Assert.That(r.RelayPath, Is.Empty)
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }

let ``an error escaping a portal call raises at the call site`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! d = startActor ("frank", [ moduleName ])
                    let! v = d.Run(fail "no")
                    return v
                })

        Assert.That(e, Is.InstanceOf<RemoteActorError>())
        Assert.That((e :?> RemoteActorError).RemoteMessage, Is.EqualTo "no")
    }

let ``errors are boxed through a depth-3 tree with the relay path`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor ("level3", failDeep 3)
                    return! p.Result()
                })

        match e with
        | :? RemoteActorError as r ->
            Assert.That(r.Source.Name, Is.EqualTo "level1")
            Assert.That(r.RemoteMessage, Is.EqualTo "deep failure")
            Assert.That(r.RelayPath |> Seq.map _.Name |> List.ofSeq, Is.EqualTo<string list> [ "level2"; "level3" ])
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }

let ``several failing actors give one aggregate holding all of them`` () : Task =
    task {
        let! e = catchAsync failInTwoActors

        match e with
        | :? MultiErrorException as m ->
            let messages = m.InnerExceptions |> Seq.map (fun e -> (e :?> RemoteActorError).RemoteMessage) |> Set.ofSeq
            Assert.That(messages, Is.EqualTo<Set<string>>(set [ "first"; "second" ]))
        | other -> Assert.Fail $"expected MultiErrorException, got {other}"
    }

let ``a nested aggregate is boxed as one remote error with both inner errors`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor ("middle", failTwice)
                    return! p.Result()
                })

        match e with
        | :? RemoteActorError as r ->
            Assert.That(r.Source.Name, Is.EqualTo "middle")
            Assert.That(r.InnerErrors |> Seq.map _.RemoteMessage |> Set.ofSeq, Is.EqualTo<Set<string>>(set [ "first"; "second" ]))
            Assert.That(r.InnerErrors |> Seq.map (fun i -> i.Source.Name) |> Set.ofSeq, Is.EqualTo<Set<string>>(set [ "a"; "b" ]))
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }

let ``a function outside the enabled modules is refused with a clear remote error`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! d = startActor ("locked", [ "TractorNet.Tests.StreamingFunctions" ])
                    return! d.Run pid
                })

        match e with
        | :? RemoteActorError as r ->
            Assert.That(r.RemoteMessage, Does.Contain "not enabled")
            Assert.That(r.RemoteMessage, Does.Contain "ActorFunctions.pid")
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }

let ``a value that cannot be serialised fails at the call site naming it`` () =
    let callback = { Callback = fun x -> x + 1 }

    let e =
        Assert.ThrowsAsync<ArgumentException>(fun () ->
            nursery {
                let! p = runInActor (useCallback callback)
                return! p.Result()
            }
            :> Task)

    Assert.That(e.Message, Does.Contain "callback")
    Assert.That(e.Message, Does.Contain "Callback")

let ``an exception while the function's type initialises reaches the parent`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor touchExploding
                    return! p.Result()
                })

        match e with
        | :? RemoteActorError as r -> Assert.That(r.ToString(), Does.Contain "static initialiser exploded")
        | other -> Assert.Fail $"expected RemoteActorError, got {other}"
    }

let ``an inline lambda with a body of its own is refused with a clear message`` () =
    let e =
        Assert.Throws<ArgumentException>(fun () ->
            runInActor (fun () -> task { return 1 }) |> ignore)

    Assert.That(e.Message, Does.Contain "named function")

/// `runInActor` sends its call right behind the spawn spec, before the child is ready: when the
/// child then never becomes ready, the spawn's error is what surfaces (not the call's), at once,
/// and the process is reaped.
let ``a runInActor child that is not ready in time fails the spawn, not the call`` () : Task =
    task {
        let saved = TractorNet.Runtime.ChildActor.StartTimeout
        TractorNet.Runtime.ChildActor.StartTimeout <- TimeSpan.FromMilliseconds 1.0

        try
            let! e =
                catchAsync (fun () ->
                    // A new process (a warm pool's can be ready within the 1 ms, whatever TRACTOR_SPAWN_METHOD says).
                    nursery.With(spawnMethod = SpawnMethod.NewProcess) {
                        let! p = runInActor pid
                        return! p.Result()
                    })

            match e with
            | :? ActorSpawnError as s -> Assert.That(s.Message, Does.Contain "was not ready within")
            | other -> Assert.Fail $"expected ActorSpawnError, got {other}"
        finally
            TractorNet.Runtime.ChildActor.StartTimeout <- saved
    }

let ``a daemon stopped from outside by SIGTERM is reported as stopped by SIGTERM`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! d = startActor ("terminated", [ moduleName ])
                    Assert.That(Spawning.Native.kill d.Pid Spawning.Native.SIGTERM, Is.True)
                    let! n = currentNursery
                    do! Task.Delay(Threading.Timeout.Infinite, n.Token)
                })

        match e with
        | :? ActorDiedError as d ->
            Assert.That(d.Signal, Is.EqualTo 15)
            Assert.That(d.ExitCode, Is.EqualTo 143)
            Assert.That(d.Message, Does.Contain("'terminated").And.Contain "stopped by SIGTERM")
            Assert.That(d.Message, Does.Not.Contain "died unexpectedly (exit code 0)")
        | other -> Assert.Fail $"expected ActorDiedError, got {other}"
    }

let ``an actor that exits by itself with code 0 is reported with what its parent saw`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! p = runInActor ("quits", exitWith 0 50)
                    return! p.Result()
                })

        match e with
        | :? ActorDiedError as d ->
            Assert.That(d.ExitCode, Is.EqualTo 0)
            Assert.That(d.Signal, Is.EqualTo 0)
            Assert.That(d.Message, Does.Contain("exited with code 0 although nobody asked it to end").And.Contain "closed")
        | other -> Assert.Fail $"expected ActorDiedError, got {other}"
    }

let ``an enableModules name that names nothing loadable fails at spawn naming it`` () : Task =
    task {
        let! e =
            catchAsync (fun () ->
                nursery {
                    let! d = startActor ("misspelt", [ moduleName; "TractorNet.Tests.ActorFunctionz" ])
                    return! d.Run pid
                })

        match e with
        | :? ArgumentException as a ->
            Assert.That(a.ParamName, Is.EqualTo "enableModules")
            Assert.That(a.Message, Does.Contain "'TractorNet.Tests.ActorFunctionz'")
        | other -> Assert.Fail $"expected ArgumentException, got {other}"
    }

let ``enableModules accepts an assembly, a namespace and a module by name`` () : Task =
    task {
        let! v =
            nursery {
                let! a = startActor ("by-assembly", [ "Tractor.Tests" ])
                let! b = startActor ("by-namespace", [ "TractorNet.Tests" ])
                let! c = startActor ("by-module", [ moduleName ])
                let! x = a.Run(fun () -> add 1 1)
                let! y = b.Run(fun () -> add 1 2)
                let! z = c.Run(fun () -> add 1 3)
                for p in [ a; b; c ] do
                    p.CancelActor() |> ignore
                return [ x; y; z ]
            }

        Assert.That(v, Is.EqualTo<int list> [ 2; 3; 4 ])
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ActorErrorTests" [
        Register.test "a remote error keeps its type name, message, source and stack" ``a remote error keeps its type name, message, source and stack``
        Register.test "an error escaping a portal call raises at the call site" ``an error escaping a portal call raises at the call site``
        Register.test "errors are boxed through a depth-3 tree with the relay path" ``errors are boxed through a depth-3 tree with the relay path``
        Register.test "several failing actors give one aggregate holding all of them" ``several failing actors give one aggregate holding all of them``
        Register.test "a nested aggregate is boxed as one remote error with both inner errors" ``a nested aggregate is boxed as one remote error with both inner errors``
        Register.test "a function outside the enabled modules is refused with a clear remote error" ``a function outside the enabled modules is refused with a clear remote error``
        Register.test "a value that cannot be serialised fails at the call site naming it" ``a value that cannot be serialised fails at the call site naming it``
        Register.test "an exception while the function's type initialises reaches the parent" ``an exception while the function's type initialises reaches the parent``
        Register.test "an inline lambda with a body of its own is refused with a clear message" ``an inline lambda with a body of its own is refused with a clear message``
        Register.test "a runInActor child that is not ready in time fails the spawn, not the call" ``a runInActor child that is not ready in time fails the spawn, not the call``
        Register.test "a daemon stopped from outside by SIGTERM is reported as stopped by SIGTERM" ``a daemon stopped from outside by SIGTERM is reported as stopped by SIGTERM``
        Register.test "an actor that exits by itself with code 0 is reported with what its parent saw" ``an actor that exits by itself with code 0 is reported with what its parent saw``
        Register.test "an enableModules name that names nothing loadable fails at spawn naming it" ``an enableModules name that names nothing loadable fails at spawn naming it``
        Register.test "enableModules accepts an assembly, a namespace and a module by name" ``enableModules accepts an assembly, a namespace and a module by name``
    ]
