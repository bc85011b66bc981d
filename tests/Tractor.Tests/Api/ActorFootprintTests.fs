/// What an idle actor process loads: culture data (ICU, ~3 MB resident) stays unloaded through its
/// start-up and the warm-up of its call path, and the culture-free assembly name the call path
/// uses agrees with GetName. Serving calls when nobody traces loads neither ICU nor
/// System.Diagnostics.DiagnosticSource (whose first use constructs an EventSource that loads ICU).
module TractorNet.Tests.ActorFootprintTests

open System
open System.IO
open System.Diagnostics
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Runtime
open TractorNet.Tests.ActorFunctions

let ``the simple name read from an assembly's display name is GetName's`` () =
    for a in AppDomain.CurrentDomain.GetAssemblies() do
        Assert.That(FunctionRefs.simpleName a, Is.EqualTo(a.GetName().Name), a.FullName)

/// Whether process `pid` still runs a thread named `name`.
let private hasThread (pid: int) (name: string) =
    Directory.EnumerateDirectories $"/proc/{pid}/task"
    |> Seq.exists (fun t ->
        try
            File.ReadAllText($"{t}/comm").TrimEnd() = name
        with :? IOException ->
            false)

/// Waits (bounded) until the child's warm-up thread has finished.
let private warmedUp (pid: int) =
    task {
        let clock = Stopwatch.StartNew()

        while hasThread pid "tractor-warmup" && clock.Elapsed < TimeSpan.FromSeconds 30.0 do
            do! Task.Delay 20

        Assert.That(hasThread pid "tractor-warmup", Is.False, "the warm-up thread finished")
    }

let ``an idle daemon has not loaded the ICU libraries after its warm-up`` () : Task =
    task {
        let! maps =
            nursery {
                let! d = startActor ("lean", [ moduleName ])
                // The child starts its warm-up thread before it reports ready.
                do! warmedUp d.Pid
                let maps = File.ReadAllText $"/proc/{d.Pid}/maps"
                let! _ = d.CancelActor()
                return maps
            }

        Assert.That(maps, Does.Contain "System.Private.CoreLib", "the child's memory map was read")
        Assert.That(maps, Does.Not.Contain "libicuuc", "ICU is loaded only by code that needs culture data")
    }

let ``a daemon that served calls nobody traces has loaded neither ICU nor DiagnosticSource`` () : Task =
    task {
        Assume.That(Activity.Current, Is.Null, "the root has no current activity (a trace context would travel)")

        let! maps =
            nursery {
                let! d = startActor ("served", [ moduleName ])
                do! warmedUp d.Pid

                for i in 1..5 do
                    let! sum = d.Run(fun () -> add i 1)
                    Assert.That(sum, Is.EqualTo(i + 1))

                let maps = File.ReadAllText $"/proc/{d.Pid}/maps"
                let! _ = d.CancelActor()
                return maps
            }

        Assert.That(maps, Does.Contain "System.Private.CoreLib", "the child's memory map was read")
        Assert.That(maps, Does.Not.Contain "System.Diagnostics.DiagnosticSource", "the call path leaves Activity alone when nobody can trace")
        Assert.That(maps, Does.Not.Contain "libicuuc", "ICU is loaded only by code that needs culture data")
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "ActorFootprintTests" [
        Register.test "the simple name read from an assembly's display name is GetName's" ``the simple name read from an assembly's display name is GetName's``
        Register.test "an idle daemon has not loaded the ICU libraries after its warm-up" ``an idle daemon has not loaded the ICU libraries after its warm-up``
        Register.test "a daemon that served calls nobody traces has loaded neither ICU nor DiagnosticSource" ``a daemon that served calls nobody traces has loaded neither ICU nor DiagnosticSource``
    ]
