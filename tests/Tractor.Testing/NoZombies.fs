namespace TractorNet.Testing

open System
open NUnit.Framework
open NUnit.Framework.Interfaces

/// Fails any NUnit test that leaves a process of this test run alive. Put it on the test
/// assembly: `[assembly: NoZombies]` (the C# suite). The F# suite runs on Expecto and wraps each
/// test case in the same check (tests/Tractor.Tests/ExpectoSupport.fs, `withZombieCheck`).
/// The check is immediate: the runtime promises that every process is reaped before a nursery
/// exits, so there is no grace period. Leftovers are SIGKILLed so later tests start clean.
[<AttributeUsage(AttributeTargets.Assembly ||| AttributeTargets.Class ||| AttributeTargets.Method)>]
type NoZombiesAttribute() =
    inherit Attribute()

    interface ITestAction with
        member _.Targets = ActionTargets.Test

        member _.BeforeTest(_: ITest) = OurProcesses.ensureMarked ()

        member _.AfterTest(test: ITest) =
            match OurProcesses.list () with
            | [] -> ()
            | leaked ->
                OurProcesses.killAll leaked
                let lines = leaked |> List.map (fun p -> $"  pid {p.Pid}: {p.CommandLine}")
                Assert.Fail(
                    $"Zombie check: test '{test.FullName}' left {leaked.Length} process(es) running:\n"
                    + String.Join("\n", lines)
                )
