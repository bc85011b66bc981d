/// Running functions in actors and getting their values back.
module TractorNet.Tests.ActorResultTests

open System
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ActorFunctions

let ``runInActor runs the function in another process and returns its value`` () : Task =
    task {
        let! pid =
            nursery {
                let! p = runInActor pid
                return! p.Result()
            }

        Assert.That(pid, Is.Not.EqualTo Environment.ProcessId)
    }

let ``the result is available after the nursery has exited`` () : Task =
    task {
        let! portal =
            nursery {
                let! p = runInActor (greet "ab" 3)
                return p
            }

        let! v = portal.Result()
        Assert.That(v, Is.EqualTo "ababab")
    }

let ``arguments travel as constants and captured values`` () : Task =
    task {
        let x = 40

        let! v =
            nursery {
                let! p = runInActor (fun () -> add x 2)
                return! p.Result()
            }

        Assert.That(v, Is.EqualTo 42)
    }

let ``a daemon serves many calls until it is cancelled`` () : Task =
    task {
        let! results, acknowledged =
            nursery {
                let! d = startActor ("frank", [ moduleName ])
                let! a = d.Run(fun () -> add 1 2)
                let! b = d.Run(fun () -> add 20 22)
                let! c = d.Run(greet "x" 2)
                let! pid = d.Run pid
                let! ack = d.CancelActor()
                return [ string a; string b; c; string (pid = d.Pid) ], ack
            }

        Assert.That(results, Is.EqualTo<string list> [ "3"; "42"; "xx"; "True" ])
        Assert.That(acknowledged, Is.True, "the daemon acknowledged the cancel request")
    }

let ``a child knows its name, its parent and that it is not the root`` () : Task =
    task {
        let! v =
            nursery {
                let! p = runInActor ("kid", whoAmI)
                return! p.Result()
            }

        Assert.That(v, Is.EqualTo "kid parent=root root=False")
        Assert.That(Actor.isRoot (), Is.True)
    }

let ``a log level set on the root reaches the children`` () : Task =
    task {
        let before = Log.current ()
        Log.setLevel LogLevel.Debug

        try
            let! v =
                nursery {
                    let! p = runInActor logLevel
                    return! p.Result()
                }

            Assert.That(enum<LogLevel> v, Is.EqualTo LogLevel.Debug)
        finally
            Log.setLevel before
    }

let ``Async functions run in actors and on daemons`` () : Task =
    task {
        let! a, b =
            nursery {
                let! p = runInActor (asyncDouble 21)
                let! d = startActor ("async-daemon", [ moduleName ])
                let! b = d.Run(asyncDouble 5)
                let! _ = d.CancelActor()
                let! a = p.Result()
                return a, b
            }

        Assert.That((a, b), Is.EqualTo((42, 10)))
    }

let ``runInActor names the actor for Task, Async and ValueTask functions alike`` () : Task =
    task {
        let! names =
            nursery {
                let! a = runInActor ("named-task", whoAmI)
                let! b = runInActor ("named-async", asyncName)
                let! c = runInActor ("named-valuetask", valueTaskName)
                let! (a: string) = a.Result()
                let! b = b.Result()
                let! c = c.Result()
                return [ a.Split(' ')[0]; b; c ]
            }

        Assert.That(names, Is.EqualTo<string list> [ "named-task"; "named-async"; "named-valuetask" ])
    }

let ``Actor.current describes the actor inside a child`` () : Task =
    task {
        let! v =
            nursery {
                let! n = currentNursery
                // NewProcess, unless TRACTOR_SPAWN_METHOD names another default for this run.
                Assert.That(n.SpawnMethod, Is.EqualTo(TractorNet.Spawning.SpawnDefaults.spawnMethod ()))
                let! p = runInActor ("self-aware", describeSelf)
                return! p.Result()
            }

        Assert.That(v, Is.EqualTo "self-aware|True|root|False|32")
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ActorResultTests" [
        Register.test "runInActor runs the function in another process and returns its value" ``runInActor runs the function in another process and returns its value``
        Register.test "the result is available after the nursery has exited" ``the result is available after the nursery has exited``
        Register.test "arguments travel as constants and captured values" ``arguments travel as constants and captured values``
        Register.test "a daemon serves many calls until it is cancelled" ``a daemon serves many calls until it is cancelled``
        Register.test "a child knows its name, its parent and that it is not the root" ``a child knows its name, its parent and that it is not the root``
        Register.test "a log level set on the root reaches the children" ``a log level set on the root reaches the children``
        Register.test "Async functions run in actors and on daemons" ``Async functions run in actors and on daemons``
        Register.test "runInActor names the actor for Task, Async and ValueTask functions alike" ``runInActor names the actor for Task, Async and ValueTask functions alike``
        Register.test "Actor.current describes the actor inside a child" ``Actor.current describes the actor inside a child``
    ]
