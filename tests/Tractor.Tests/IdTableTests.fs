/// The peer's table of calls in flight (pure logic: checked against a model, and under threads).
module TractorNet.Tests.IdTableTests

open System.Collections.Generic
open System.Threading.Tasks
open NUnit.Framework
open TractorNet.Runtime

/// Any sequence of sets and removes leaves the table agreeing with a Dictionary: lookups,
/// removal results, count and the key and value snapshots (keys from a small range, so they
/// collide and repeat; negative ones as the peer's stream endpoints use).
let ``the table agrees with a dictionary after any sets and removes`` (ops: (bool * int16 * string) list) =
    let table = IdTable<string>()
    let model = Dictionary<int64, string>()
    let mutable agree = true

    for isSet, k, v in ops do
        let key = int64 (k % 300s)

        if isSet then
            table[key] <- v
            model[key] <- v
        else
            let removed, value = table.TryRemove key
            let expected, expectedValue = model.Remove key
            agree <- agree && removed = expected && (not removed || value = expectedValue)

    let lookupsAgree =
        [ -300L .. 300L ]
        |> List.forall (fun k ->
            let found, v = table.TryGetValue k
            let expected, ev = model.TryGetValue k
            found = expected && table.ContainsKey k = expected && (not found || v = ev))

    agree
    && lookupsAgree
    && table.Count = model.Count
    && Set.ofArray (table.Keys()) = Set.ofSeq model.Keys
    && List.sort (List.ofArray (table.Values())) = List.sort (List.ofSeq model.Values)

let ``setting a present key replaces its value`` () =
    let table = IdTable<string>()
    table[7L] <- "a"
    table[7L] <- "b"
    Assert.That(table.TryGetValue 7L, Is.EqualTo((true, "b")))
    Assert.That(table.Count, Is.EqualTo 1)

let ``thousands of entries grow the table and stay reachable`` () =
    let table = IdTable<string>()

    for k in 1L .. 5000L do
        table[k] <- string k
        table[-k] <- string -k

    Assert.That(table.Count, Is.EqualTo 10000)

    for k in 1L .. 5000L do
        Assert.That(table.TryGetValue k, Is.EqualTo((true, string k)))
        Assert.That(table.TryGetValue -k, Is.EqualTo((true, string -k)))

let ``threads adding and removing their own ids leave exactly what they kept`` () =
    let table = IdTable<obj>()
    let threads = 4
    let perThread = 20000L

    Parallel.For(
        0,
        threads,
        fun t ->
            let base' = int64 t * perThread

            for i in 0L .. perThread - 1L do
                table[base' + i] <- box i

            // Each thread removes its odd ids again.
            for i in 1L .. 2L .. perThread - 1L do
                let removed, _ = table.TryRemove(base' + i)
                if not removed then failwith $"id {base' + i} was lost"
    )
    |> ignore

    Assert.That(table.Count, Is.EqualTo(int64 threads * perThread / 2L |> int))
    Assert.That(table.Keys() |> Array.forall (fun k -> k % 2L = 0L), "only the even ids remain")

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "IdTableTests" [
        Register.property 200 [] "the table agrees with a dictionary after any sets and removes" ``the table agrees with a dictionary after any sets and removes``
        Register.test "setting a present key replaces its value" ``setting a present key replaces its value``
        Register.test "thousands of entries grow the table and stay reachable" ``thousands of entries grow the table and stay reachable``
        Register.test "threads adding and removing their own ids leave exactly what they kept" ``threads adding and removing their own ids leave exactly what they kept``
    ]
