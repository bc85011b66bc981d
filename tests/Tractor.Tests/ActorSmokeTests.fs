module TractorNet.Tests.ActorSmokeTests

open System
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

let burnCpu () = task { return Environment.ProcessId }

[<Test>]
let ``runInActor returns the child's value`` () : Task =
    task {
        let! pid =
            task {
                try
                    return!
                        nursery {
                            let! p = runInActor burnCpu
                            return! p.Result()
                        }
                with e ->
                    printfn "%O" e
                    return raise e
            }

        Assert.That(pid, Is.Not.EqualTo Environment.ProcessId)
    }
