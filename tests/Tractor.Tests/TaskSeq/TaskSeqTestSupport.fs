/// Helpers shared by the `taskSeq { }` tests: bounded waits, a hand-driven consumer, logs and
/// resources that record their disposal.
[<AutoOpen>]
module TractorNet.Tests.TaskSeqTestSupport

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Core.CompilerServices
open NUnit.Framework
open TractorNet

exception Boom of int

/// Waits for a task with a generous bound, so a hang fails the test instead of the run.
let waitUnit (t: Task) =
    let first = Task.WhenAny(t, Task.Delay(TimeSpan.FromSeconds 30.0)).GetAwaiter().GetResult()
    if not (obj.ReferenceEquals(first, t)) then Assert.Fail "timed out after 30 s"
    t.GetAwaiter().GetResult()

let wait (t: Task<'T>) : 'T =
    waitUnit t
    t.GetAwaiter().GetResult()

let waitVT (t: ValueTask) = waitUnit (t.AsTask())

/// Enumerates by hand: every element, then DisposeAsync.
let consume (s: IAsyncEnumerable<'T>) : 'T list =
    wait (
        task {
            let e = s.GetAsyncEnumerator()
            let items = ResizeArray()
            try
                let mutable go = true
                while go do
                    let! more = e.MoveNextAsync()
                    if more then items.Add e.Current else go <- false
            finally
                waitVT (e.DisposeAsync())
            return List.ofSeq items
        }
    )

/// A task that completes on the thread pool after its caller has started awaiting it.
let later (value: 'T) : Task<'T> = Task.Delay(1).ContinueWith(fun (_: Task) -> value)

type Log() =
    let items = ResizeArray<string>()
    member _.Add(item: string) = lock items (fun () -> items.Add item)
    member _.Items = lock items (fun () -> List.ofSeq items)
    member this.Count(item: string) = this.Items |> List.filter ((=) item) |> List.length

type Resource(log: Log, name: string) =
    interface IDisposable with
        member _.Dispose() = log.Add $"dispose {name}"

type AsyncResource(log: Log, name: string, gate: Task) =
    interface IAsyncDisposable with
        member _.DisposeAsync() =
            ValueTask(
                task {
                    do! gate
                    log.Add $"disposeAsync {name}"
                }
            )

type BothResource(log: Log) =
    interface IDisposable with
        member _.Dispose() = log.Add "sync"
    interface IAsyncDisposable with
        member _.DisposeAsync() =
            log.Add "async"
            ValueTask()

/// F# compiles taskSeq bodies to state machines only in optimised builds of the caller; the
/// test project is not optimised (fsc needs >10 GB and >10 min for it), so shape tests skip.
let requireOptimisedBuild () =
    let optimised =
        match Reflection.Assembly.GetExecutingAssembly().GetCustomAttributes(typeof<Diagnostics.DebuggableAttribute>, false) with
        | [| :? Diagnostics.DebuggableAttribute as d |] -> not d.IsJITOptimizerDisabled
        | _ -> true

    if not optimised then
        Assert.Ignore "the test assembly is not optimised, so taskSeq bodies here use the dynamic path (run with -c Release)"
