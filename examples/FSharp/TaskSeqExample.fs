/// `taskSeq { }`: a lazy asynchronous stream (an IAsyncEnumerable), the consumer's cancellation
/// token inside it, and its `finally` running however the consumer stops.
module TractorNet.Examples.TaskSeqExample

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// Readings of a simulated sensor. Nothing runs until the first element is asked for; the
/// consumer's token reaches the body; the sensor is closed on every way out.
let readings (closed: int ref) =
    taskSeq {
        let! token = TaskSeq.cancellationToken
        printfn "  sensor opened"
        try
            let mutable n = 0
            while true do
                do! Task.Delay(2, token) // the next reading takes a moment
                n <- n + 1
                yield n * 10
        finally
            closed.Value <- closed.Value + 1
            printfn "  sensor closed"
    }

let private expect condition (what: string) =
    if not condition then failwith $"unexpected: {what}"

let private run () =
    task {
        let closed = ref 0

        printfn "1. TaskSeq.take 3 stops pulling after three readings"
        let! first = readings closed |> TaskSeq.take 3 |> TaskSeq.toListAsync
        printfn $"  got %A{first}"
        expect (first = [ 10; 20; 30 ] && closed.Value = 1) "the sensor is closed after an early break"

        printfn "2. for in task { }, over the readings below 35"
        for r in readings closed |> TaskSeq.takeWhile (fun r -> r < 35) do
            printfn $"  reading {r}"
        expect (closed.Value = 2) "the sensor is closed after the loop"

        printfn "3. a cancelled token stops the stream at its next step"
        use cts = new CancellationTokenSource()
        let mutable count = 0
        try
            for _ in readings closed |> TaskSeq.withCancellation cts.Token do
                count <- count + 1
                if count = 2 then cts.Cancel()
        with :? OperationCanceledException ->
            printfn $"  cancelled after {count} readings"
        expect (count = 2 && closed.Value = 3) "the stream stops at the cancelled step, the sensor is closed"
    }

let example =
    { Name = "task-seq"
      Summary = "taskSeq { }: a lazy async stream, its cancellation token, finally on early break."
      Run = fun _ -> run () }
