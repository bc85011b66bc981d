/// A parent and its child talk over a socket pair the child inherits: nothing listens, and each
/// actor holds its own channel only.
module TractorNet.Tests.ActorChannelTests

open System
open System.IO
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ActorFunctions

let ``spawning actors opens no listening socket in the parent`` () : Task =
    task {
        // This process may already listen (a discovery test earlier in the run published the
        // root, or made it the registrar): what counts is that spawning adds no listener.
        let listeningNow () =
            let all = listeningUnixSockets ()
            // The .NET runtime's own diagnostics socket (dotnet-trace and friends) aside.
            socketInodes ()
            |> Array.choose (fun i -> all.TryFind i)
            |> Array.filter (fun path -> not (path.Contains "dotnet-diagnostic-"))
            |> Set.ofArray

        let before = listeningNow ()

        let! listening =
            nursery {
                let! a = startActor ("a", [ moduleName ])
                let! b = startActor ("b", [ moduleName ])
                let! _ = a.Run pid
                let! _ = b.Run pid
                let listening = listeningNow ()
                let! _ = a.CancelActor()
                let! _ = b.CancelActor()
                return listening
            }

        Assert.That(Set.difference listening before, Is.Empty, "sockets of the parent that accept connections")
    }

let ``each actor holds one socket: its channel to the parent, no sibling's`` () : Task =
    task {
        let! counts =
            nursery {
                let! n = currentNursery
                let! daemons = Task.WhenAll [ for i in 1..3 -> startActor ($"d{i}", [ moduleName ]) n ]
                let! counts = Task.WhenAll [ for d: Portal in daemons -> d.Run socketCount ]
                let! _ = Task.WhenAll [ for d: Portal in daemons -> d.CancelActor() ]
                return counts
            }

        Assert.That(counts, Has.Length.EqualTo 3 |> _.And.All.EqualTo(1))
    }

let ``a grandchild holds only its own channel too`` () : Task =
    task {
        let! count =
            nursery {
                let! p = runInActor grandchildSocketCount
                return! p.Result()
            }

        Assert.That(count, Is.EqualTo 1)
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ActorChannelTests" [
        Register.test "spawning actors opens no listening socket in the parent" ``spawning actors opens no listening socket in the parent``
        Register.test "each actor holds one socket: its channel to the parent, no sibling's" ``each actor holds one socket: its channel to the parent, no sibling's``
        Register.test "a grandchild holds only its own channel too" ``a grandchild holds only its own channel too``
    ]
