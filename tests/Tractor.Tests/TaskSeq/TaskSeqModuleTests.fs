/// The TaskSeq module: creating, transforming and consuming task sequences.
module TractorNet.Tests.TaskSeqModuleTests

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Core.CompilerServices
open NUnit.Framework
open TractorNet

// ---- TaskSeq module ----

let private src (xs: int list) = TaskSeq.ofList xs

let ``creating: empty, singleton, ofSeq, ofArray, ofList, init`` () =
    Assert.That(consume TaskSeq.empty<int>, Is.Empty)
    Assert.That(consume (TaskSeq.singleton 4), eq [ 4 ])
    Assert.That(consume (TaskSeq.ofSeq (seq { 1..3 })), eq [ 1; 2; 3 ])
    Assert.That(consume (TaskSeq.ofArray [| 1; 2 |]), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.ofList [ 5; 6 ]), eq [ 5; 6 ])
    Assert.That(consume (TaskSeq.init 3 (fun i -> i * i)), eq [ 0; 1; 4 ])
    Assert.Throws<ArgumentException>(fun () -> TaskSeq.init -1 id |> ignore) |> ignore
    Assert.Throws<ArgumentNullException>(fun () -> TaskSeq.ofSeq (null: int seq) |> ignore) |> ignore

let ``transforming: map, mapAsync, filter, filterAsync, choose, collect, indexed, append, concat, zip`` () =
    let xs = src [ 1; 2; 3; 4 ]
    Assert.That(consume (TaskSeq.map (fun x -> x * 2) xs), eq [ 2; 4; 6; 8 ])
    Assert.That(consume (TaskSeq.mapAsync (fun x -> later (x + 1)) xs), eq [ 2; 3; 4; 5 ])
    Assert.That(consume (TaskSeq.filter (fun x -> x % 2 = 0) xs), eq [ 2; 4 ])
    Assert.That(consume (TaskSeq.filterAsync (fun x -> later (x > 2)) xs), eq [ 3; 4 ])
    Assert.That(consume (TaskSeq.choose (fun x -> if x > 3 then Some(-x) else None) xs), eq [ -4 ])
    Assert.That(consume (TaskSeq.chooseAsync (fun x -> later (if x < 2 then Some x else None)) xs), eq [ 1 ])
    Assert.That(consume (TaskSeq.collect (fun x -> src [ x; x ]) (src [ 1; 2 ])), eq [ 1; 1; 2; 2 ])
    Assert.That(consume (TaskSeq.indexed (src [ 7; 8 ])), eq [ (0, 7); (1, 8) ])
    Assert.That(consume (TaskSeq.append (src [ 1 ]) (src [ 2 ])), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.concat (TaskSeq.ofList [ src [ 1 ]; TaskSeq.empty; src [ 2; 3 ] ])), eq [ 1; 2; 3 ])
    Assert.That(consume (TaskSeq.zip xs (src [ 9; 8 ])), eq [ (1, 9); (2, 8) ])

let ``take, truncate, skip, takeWhile, and their errors`` () =
    let xs = src [ 1; 2; 3; 4 ]
    Assert.That(consume (TaskSeq.take 2 xs), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.take 0 xs), Is.Empty)
    Assert.Throws<InvalidOperationException>(fun () -> consume (TaskSeq.take 5 xs) |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> TaskSeq.take -1 xs |> ignore) |> ignore
    Assert.That(consume (TaskSeq.truncate 2 xs), eq [ 1; 2 ])
    Assert.That(consume (TaskSeq.truncate 9 xs), eq [ 1; 2; 3; 4 ])
    Assert.That(consume (TaskSeq.skip 3 xs), eq [ 4 ])
    Assert.That(consume (TaskSeq.skip 4 xs), Is.Empty)
    Assert.Throws<InvalidOperationException>(fun () -> consume (TaskSeq.skip 5 xs) |> ignore) |> ignore
    Assert.That(consume (TaskSeq.takeWhile (fun x -> x < 3) xs), eq [ 1; 2 ])

let ``take and truncate never ask the source for more than they return`` () =
    let mutable pulled = 0
    let counting =
        taskSeq {
            for i in 1..100 do
                pulled <- i
                yield i
        }
    Assert.That(consume (TaskSeq.take 3 counting), eq [ 1; 2; 3 ])
    Assert.That(pulled, eq 3)
    Assert.That(consume (TaskSeq.truncate 2 counting), eq [ 1; 2 ])
    Assert.That(pulled, eq 2)

let ``consuming: iter, iterAsync, fold, foldAsync, sum, length, exists, forall, heads, lasts, isEmpty, to*`` () =
    let xs = src [ 1; 2; 3 ]
    let seen = ResizeArray()
    wait (TaskSeq.iter seen.Add xs)
    wait (TaskSeq.iterAsync (fun x -> task { seen.Add(x * 10) }) xs)
    Assert.That(List.ofSeq seen, eq [ 1; 2; 3; 10; 20; 30 ])
    Assert.That(wait (TaskSeq.fold (fun acc x -> acc * 10 + x) 0 xs), eq 123)
    Assert.That(wait (TaskSeq.foldAsync (fun acc x -> later (acc + x)) 100 xs), eq 106)
    Assert.That(wait (TaskSeq.sum xs), eq 6)
    Assert.That(wait (TaskSeq.sum (TaskSeq.ofList [ 1.5; 2.5 ])), eq 4.0)
    Assert.That(wait (TaskSeq.length xs), eq 3)
    Assert.That(wait (TaskSeq.exists ((=) 2) xs), Is.True)
    Assert.That(wait (TaskSeq.exists ((=) 5) xs), Is.False)
    Assert.That(wait (TaskSeq.forall (fun x -> x > 0) xs), Is.True)
    Assert.That(wait (TaskSeq.forall (fun x -> x > 1) xs), Is.False)
    Assert.That(wait (TaskSeq.head xs), eq 1)
    Assert.That(wait (TaskSeq.tryHead TaskSeq.empty<int>), eq None)
    Assert.Throws<ArgumentException>(fun () -> wait (TaskSeq.head TaskSeq.empty<int>) |> ignore) |> ignore
    Assert.That(wait (TaskSeq.last xs), eq 3)
    Assert.That(wait (TaskSeq.tryLast xs), eq (Some 3))
    Assert.Throws<ArgumentException>(fun () -> wait (TaskSeq.last TaskSeq.empty<int>) |> ignore) |> ignore
    Assert.That(wait (TaskSeq.isEmpty xs), Is.False)
    Assert.That(wait (TaskSeq.isEmpty TaskSeq.empty<int>), Is.True)
    Assert.That(wait (TaskSeq.toArrayAsync xs), eq [| 1; 2; 3 |])
    Assert.That(wait (TaskSeq.toListAsync xs), eq [ 1; 2; 3 ])
    Assert.That(TaskSeq.toList xs, eq [ 1; 2; 3 ])
    Assert.That(TaskSeq.toArray xs, eq [| 1; 2; 3 |])

let ``exists and tryHead stop pulling once they know the answer, and dispose the source`` () =
    let log = Log()
    let s =
        taskSeq {
            try
                for i in 1..100 do
                    log.Add $"pull {i}"
                    yield i
            finally
                log.Add "finally"
        }
    Assert.That(wait (TaskSeq.exists ((=) 2) s), Is.True)
    Assert.That(log.Items, eq [ "pull 1"; "pull 2"; "finally" ])
    Assert.That(wait (TaskSeq.tryHead s), eq (Some 1))
    Assert.That(log.Count "finally", eq 2)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskSeqModuleTests" [
        Register.test "creating: empty, singleton, ofSeq, ofArray, ofList, init" ``creating: empty, singleton, ofSeq, ofArray, ofList, init``
        Register.test "transforming: map, mapAsync, filter, filterAsync, choose, collect, indexed, append, concat, zip" ``transforming: map, mapAsync, filter, filterAsync, choose, collect, indexed, append, concat, zip``
        Register.test "take, truncate, skip, takeWhile, and their errors" ``take, truncate, skip, takeWhile, and their errors``
        Register.test "take and truncate never ask the source for more than they return" ``take and truncate never ask the source for more than they return``
        Register.test "consuming: iter, iterAsync, fold, foldAsync, sum, length, exists, forall, heads, lasts, isEmpty, to*" ``consuming: iter, iterAsync, fold, foldAsync, sum, length, exists, forall, heads, lasts, isEmpty, to*``
        Register.test "exists and tryHead stop pulling once they know the answer, and dispose the source" ``exists and tryHead stop pulling once they know the answer, and dispose the source``
    ]
