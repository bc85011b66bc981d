/// Small helpers shared by the test files.
[<AutoOpen>]
module TractorNet.Tests.TestSupport

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet

/// Structural equality through NUnit (its own overloads are ambiguous on F# lists).
let eq (expected: 'T) = Is.EqualTo(box expected)

/// The test program (tests/Tractor.TestApp) as built for this run: a root the tests can SIGKILL.
let testAppDll () =
    IO.Path.Combine(TractorNet.Testing.RepoPaths.outputOf "tests/Tractor.TestApp", "Tractor.TestApp.dll")

/// Polls (bounded) until `condition` holds, for process states nothing can be awaited on (a
/// process gone from the table); false if it never held.
let eventuallyWithin (limit: TimeSpan) (condition: unit -> bool) =
    let sw = Diagnostics.Stopwatch.StartNew()
    let mutable ok = condition ()

    while not ok && sw.Elapsed < limit do
        Thread.Sleep 20
        ok <- condition ()

    ok

/// Runs `f` and gives the exception it raised, or null when it returned.
let catchAsync (f: unit -> Task<'T>) : Task<exn> =
    task {
        try
            let! _ = f ()
            return null
        with e ->
            return e
    }

/// Reads a stream to its end.
let readAll (stream: IAsyncEnumerable<'T>) : Task<'T list> =
    task {
        let items = ResizeArray()

        for x in stream do
            items.Add x

        return List.ofSeq items
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

/// What `cancelThePuller` saw: the fast subscriber's items and the error that ended its
/// iteration, whether its scope absorbed that (its own) cancellation, and the slow one's items.
type PullerCancelled<'T> = { FastItems: 'T list; FastError: exn; FastAbsorbed: bool; SlowItems: 'T list }

/// Two subscribers of one broadcast whose source gives `before` items and then nothing until
/// `release`: each in its own cancel scope, both read those items, then both wait for the next
/// one, `fast` first (so it is the one reading the source and `slow` waits for that read). Then
/// the fast one's scope is cancelled, the source released, and the slow one read to its end.
let cancelThePuller (fast: IAsyncEnumerable<'T>) (slow: IAsyncEnumerable<'T>) (before: int) (release: unit -> Task) : Task<PullerCancelled<'T>> =
    task {
        let bound = TimeSpan.FromSeconds 30.0
        let fastScope = CancelScope()
        let fastWaiting = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
        let slowWaiting = TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
        let fastItems = ResizeArray()
        let slowItems = ResizeArray()
        let mutable fastError: exn = null

        /// Reads `before` items, then starts the next read, says so and reads on to the end.
        let readWith (items: ResizeArray<'T>) (waiting: TaskCompletionSource) (source: IAsyncEnumerable<'T>) =
            task {
                let e = source.GetAsyncEnumerator CancellationToken.None

                let! error =
                    catchAsync (fun () ->
                        task {
                            for _ in 1..before do
                                let! more = e.MoveNextAsync()
                                if more then items.Add e.Current

                            let next = e.MoveNextAsync()
                            waiting.TrySetResult() |> ignore
                            let! first = next
                            let mutable more = first

                            while more do
                                items.Add e.Current
                                let! m = e.MoveNextAsync()
                                more <- m
                        })

                do! e.DisposeAsync()
                if not (isNull error) then raise error
            }

        let fastRun =
            CancelScope.run fastScope (fun _ ->
                task {
                    try
                        do! readWith fastItems fastWaiting fast
                    with e ->
                        fastError <- e
                        raise e
                })

        do! fastWaiting.Task.WaitAsync bound
        let slowRun = CancelScope.run (CancelScope()) (fun _ -> readWith slowItems slowWaiting slow)
        do! slowWaiting.Task.WaitAsync bound
        fastScope.Cancel()
        let! fastOutcome = fastRun.WaitAsync bound
        do! (release ()).WaitAsync bound
        let! _ = slowRun.WaitAsync bound

        return
            { FastItems = List.ofSeq fastItems
              FastError = fastError
              FastAbsorbed = fastOutcome.IsNone
              SlowItems = List.ofSeq slowItems }
    }
