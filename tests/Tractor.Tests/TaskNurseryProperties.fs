/// Properties of task nurseries over random trees of tasks (FsCheck): nothing outlives its nursery, the first
/// error cancels everything, every error is reported, cancellation is awaited, deadlines fire.
module TractorNet.Tests.TaskNurseryProperties

open System
open System.Collections.Concurrent
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TractorNet

/// What one task of the tree does.
type Node =
    /// Finishes after a short cancellable delay (ms; 0 = at once).
    | Succeed of delayMs: int
    /// Fails at once, before any cancellation can reach it.
    | Fail
    /// Waits (cancellably), then fails unless it was cancelled first.
    | FailLater of delayMs: int
    /// Waits until cancelled.
    | Hang
    /// Waits until cancelled, then ignores the cancellation for a while (ms) before ending.
    | Stubborn of ignoreMs: int
    /// A nested nursery running these children; its body also hangs until cancelled when `bodyHangs`.
    | Nested of bodyHangs: bool * children: Node list

/// The failure of one task, by the id the run gave it.
type TreeFailure(id: int) =
    inherit Exception($"task {id} failed")
    member _.Id = id

let rec private exists p node =
    p node
    || (match node with
        | Nested(_, kids) -> List.exists (exists p) kids
        | _ -> false)

/// Trees that end only when cancelled (something hangs), so a deadline or an error must end them.
let private waitsForCancel = exists (function Hang | Stubborn _ | Nested(true, _) -> true | _ -> false)

let private leaf =
    Gen.frequency
        [ 3, Gen.choose (0, 2) |> Gen.map Succeed
          2, Gen.constant Fail
          1, Gen.choose (1, 3) |> Gen.map FailLater
          2, Gen.constant Hang
          2, Gen.choose (1, 4) |> Gen.map Stubborn ]

let rec private node depth =
    if depth = 0 then leaf else Gen.frequency [ 3, leaf; 1, nursery (depth - 1) ]

and private nursery depth =
    gen {
        let! bodyHangs = Gen.elements [ true; false ]
        let! count = Gen.choose (0, 4)
        let! kids = Gen.listOfLength count (node depth)
        return Nested(bodyHangs, kids)
    }

/// A root nursery, nesting at most two more levels.
type AnyTree = AnyTree of Node
/// A tree with at least one task that fails at once.
type FailingTree = FailingTree of Node
/// A tree without tasks that fail at once and with something that waits for cancellation.
type DeadlineTree = DeadlineTree of Node
/// A tree with tasks that ignore cancellation for a while.
type StubbornTree = StubbornTree of Node

type Trees =
    static member Any() = nursery 2 |> Gen.map AnyTree |> Arb.fromGen
    static member Failing() = nursery 2 |> Gen.where (exists ((=) Fail)) |> Gen.map FailingTree |> Arb.fromGen
    static member Deadline() =
        nursery 2
        |> Gen.where (fun t -> not (exists ((=) Fail) t) && waitsForCancel t)
        |> Gen.map DeadlineTree
        |> Arb.fromGen
    static member Stubborn() =
        nursery 2 |> Gen.where (exists (function Stubborn _ -> true | _ -> false)) |> Gen.map StubbornTree |> Arb.fromGen

type private Counter() =
    [<DefaultValue>]
    val mutable Value: int

/// What happened in one run of a tree.
type Report =
    { Outcome: Result<unit voption, exn>
      /// Ids of the tasks that actually threw.
      Failed: int list
      /// Broken invariants seen during the run (e.g. a nursery that returned with a task still running).
      Violations: string list
      HangsStarted: int
      HangsCancelled: int
      StubbornStarted: int
      StubbornFinished: int
      Elapsed: TimeSpan }

/// Runs one tree and records what happened.
type private Run() =
    let failed = ConcurrentQueue<int>()
    let violations = ConcurrentQueue<string>()
    let mutable nextId = 0
    let mutable hangsStarted = 0
    let mutable hangsCancelled = 0
    let mutable stubbornStarted = 0
    let mutable stubbornFinished = 0

    member this.Exec (node: Node) (ct: CancellationToken) : Task =
        match node with
        | Succeed 0 -> Task.CompletedTask
        | Succeed ms -> Task.Delay(ms, ct)
        | Fail ->
            let id = Interlocked.Increment(&nextId)
            failed.Enqueue id
            raise (TreeFailure id)
        | FailLater ms ->
            task {
                do! Task.Delay(ms, ct)
                let id = Interlocked.Increment(&nextId)
                failed.Enqueue id
                raise (TreeFailure id)
            }
        | Hang ->
            Interlocked.Increment(&hangsStarted) |> ignore
            task {
                try
                    do! Task.Delay(Timeout.Infinite, ct)
                finally
                    if ct.IsCancellationRequested then
                        Interlocked.Increment(&hangsCancelled) |> ignore
            }
        | Stubborn ms ->
            Interlocked.Increment(&stubbornStarted) |> ignore
            task {
                try
                    do! Task.Delay(Timeout.Infinite, ct)
                with :? OperationCanceledException ->
                    ()
                do! Task.Delay ms // not cancellable
                Interlocked.Increment(&stubbornFinished) |> ignore
                ct.ThrowIfCancellationRequested()
            }
        | Nested(bodyHangs, kids) -> this.Nursery bodyHangs kids

    member this.Nursery (bodyHangs: bool) (kids: Node list) : Task =
        task {
            let live = Counter()
            try
                do!
                    TaskNursery.run (fun n -> task {
                        for kid in kids do
                            // Counted before it starts, uncounted when its task has ended.
                            Interlocked.Increment(&live.Value) |> ignore
                            n.StartSoon(fun ct -> task {
                                try
                                    do! this.Exec kid ct
                                finally
                                    Interlocked.Decrement(&live.Value) |> ignore })
                        if bodyHangs then
                            do! Task.Delay(Timeout.Infinite, n.Token) })
            finally
                let left = Volatile.Read(&live.Value)
                if left <> 0 then
                    violations.Enqueue $"a nursery returned with {left} task(s) still running"
        }

    member this.Report(outcome, elapsed) =
        { Outcome = outcome
          Failed = List.ofSeq failed
          Violations = List.ofSeq violations
          HangsStarted = hangsStarted
          HangsCancelled = hangsCancelled
          StubbornStarted = stubbornStarted
          StubbornFinished = stubbornFinished
          Elapsed = elapsed }

/// Generous bound on one run: catches a tree that never ends (a cancellation that did not happen).
let private within = TimeSpan.FromSeconds 10.0

/// Runs a root nursery under `moveOnAfter deadline`.
let private runTree (deadline: TimeSpan) (tree: Node) : Report =
    let run = Run()
    let body =
        match tree with
        | Nested(hangs, kids) -> fun (_: CancellationToken) -> task { do! run.Nursery hangs kids }
        | other -> fun ct -> task { do! run.Exec other ct }
    let sw = Stopwatch.StartNew()
    let t = CancelScope.moveOnAfter deadline body
    let outcome =
        try
            Ok(t.WaitAsync(within).GetAwaiter().GetResult())
        with
        | :? TimeoutException -> Assert.Fail $"the tree did not finish within {within}: {tree}"; failwith "unreachable"
        | e -> Error e
    sw.Stop()
    run.Report(outcome, sw.Elapsed)

/// The leaves of a (possibly nested) error.
let rec private leaves (e: exn) : exn list =
    match e with
    | :? MultiErrorException as m -> m.InnerExceptions |> List.ofSeq |> List.collect leaves
    | e -> [ e ]

let private shortDeadline = TimeSpan.FromMilliseconds 15.0

let ``no task outlives its nursery`` (AnyTree tree) =
    let r = runTree shortDeadline tree
    Assert.That(r.Violations, Is.Empty)
    Assert.That(r.HangsCancelled, Is.EqualTo r.HangsStarted, "every hanging task ended, by cancellation")

let ``every error is reported, once, and cancellations are not errors`` (AnyTree tree) =
    let r = runTree shortDeadline tree
    match r.Outcome with
    | Ok _ -> Assert.That(r.Failed, Is.Empty, "tasks failed but the nursery raised nothing")
    | Error e ->
        let ls = leaves e
        let notFailures = ls |> List.filter (fun l -> not (l :? TreeFailure))
        Assert.That(notFailures, Is.Empty, "only the tasks' own errors are raised")
        let raised = ls |> List.map (fun l -> (l :?> TreeFailure).Id) |> List.sort
        Assert.That(raised, Is.EqualTo<int list>(List.sort r.Failed))
        // One error surfaces as itself, never wrapped.
        if r.Failed.Length = 1 then
            Assert.That(e, Is.InstanceOf<TreeFailure>())

let ``the first error cancels all siblings and bodies`` (FailingTree tree) =
    // No deadline: only the error can end the hanging tasks and bodies, and it must end all of them.
    let r = runTree Timeout.InfiniteTimeSpan tree
    match r.Outcome with
    | Ok v -> Assert.Fail $"a tree with a failing task returned {v}"
    | Error _ -> ()
    Assert.That(r.HangsCancelled, Is.EqualTo r.HangsStarted)
    Assert.That(r.Violations, Is.Empty)

let ``cancellation is awaited`` (StubbornTree tree) =
    let r = runTree shortDeadline tree
    // Each nursery checked on return that all its tasks, stubborn ones included, had ended.
    Assert.That(r.Violations, Is.Empty)
    Assert.That(r.StubbornFinished, Is.EqualTo r.StubbornStarted)

let ``a deadline fires, not early, within a generous bound`` (DeadlineTree tree) =
    let r = runTree shortDeadline tree
    match r.Outcome with
    | Ok v when r.Failed.IsEmpty ->
        Assert.That(v, Is.EqualTo(ValueNone: unit voption), "something hangs, so only the deadline can end the tree")
        Assert.That(r.Elapsed, Is.GreaterThanOrEqualTo shortDeadline)
    | Ok v -> Assert.Fail $"tasks failed but the tree returned {v}"
    | Error _ -> Assert.That(r.Failed, Is.Not.Empty, "an error was raised but no task failed")
    // Stubborn tasks add a few ms each; seconds mean the deadline did not fire by itself.
    Assert.That(r.Elapsed, Is.LessThan(TimeSpan.FromSeconds 5.0))

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskNurseryProperties" [
        Register.property 100 [ typeof<Trees> ] "no task outlives its nursery" ``no task outlives its nursery``
        Register.property 100 [ typeof<Trees> ] "every error is reported, once, and cancellations are not errors" ``every error is reported, once, and cancellations are not errors``
        Register.property 100 [ typeof<Trees> ] "the first error cancels all siblings and bodies" ``the first error cancels all siblings and bodies``
        Register.property 100 [ typeof<Trees> ] "cancellation is awaited" ``cancellation is awaited``
        Register.property 100 [ typeof<Trees> ] "a deadline fires, not early, within a generous bound" ``a deadline fires, not early, within a generous bound``
    ]
