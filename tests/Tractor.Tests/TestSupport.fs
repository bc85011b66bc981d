/// Small helpers shared by the test files.
[<AutoOpen>]
module TractorNet.Tests.TestSupport

open System
open System.Collections.Generic
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

/// Structural equality through NUnit (its own overloads are ambiguous on F# lists).
let eq (expected: 'T) = Is.EqualTo(box expected)

/// Runs `f` and gives the exception it raised, or null when it returned.
let catchAsync (f: unit -> Task<'T>) : Task<exn> =
    task {
        try
            let! _ = f ()
            return null
        with e ->
            return e
    }

/// Runs `body` with a daemon named `name` enabled for `modules`, then cancels the daemon.
let withDaemonOf (modules: string list) (name: string) (body: Portal -> Task<'T>) : Task<'T> =
    nursery {
        let! portal = startActor (name, modules)
        let! v = task {
            try
                return! body portal
            finally
                portal.CancelActor().Wait()
        }
        return v
    }

/// Iterates the stream that `withStream` opens (it runs the loop it is given inside its own
/// `use`s) in a cancel scope, and cancels that scope after five items. Asserts that the
/// iteration raised `OperationCanceledException` there instead of ending quietly (which would
/// let the code after the loop run as if the stream were complete), and that the scope absorbed
/// its own cancellation.
let assertCutByOwnScope (withStream: (IAsyncEnumerable<'T> -> Task) -> Task) : Task<unit> =
    task {
        let scope = CancelScope()
        let received = ref 0
        let ranPastTheLoop = ref false
        let atIteration = ref null

        let! outcome =
            CancelScope.run scope (fun _ ->
                task {
                    try
                        do!
                            withStream (fun stream ->
                                task {
                                    for _ in stream do
                                        received.Value <- received.Value + 1

                                        if received.Value = 5 then
                                            scope.Cancel()

                                    ranPastTheLoop.Value <- true
                                })
                    with e ->
                        atIteration.Value <- e
                        raise e
                })

        Assert.That(received.Value, Is.GreaterThanOrEqualTo 5)
        Assert.That(ranPastTheLoop.Value, Is.False, "the loop ended quietly although the stream was cut short")
        Assert.That(atIteration.Value, Is.InstanceOf<OperationCanceledException>(), $"got {atIteration.Value}")
        Assert.That(outcome.IsNone, Is.True, "the scope absorbed its own cancellation")
    }
