/// Properties of `taskSeq { }`: random programs built from the builder's constructs behave like a
/// pure model (the list of events `seq { }` semantics give), compiled as a state machine and on
/// the dynamic path, when consumed fully, stopped early, failed by the consumer or cancelled.
/// TaskSeq functions agree with their List (or, for lazy errors, Seq) counterparts.
module TractorNet.Tests.TaskSeqProperties

// The dynamic interpreter builds bodies outside any state machine on purpose.
#nowarn "3511"
#nowarn "3501"

open System
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open TractorNet
open TractorNet.Tests.TaskSeqTests

// ---- Programs and their model ----

/// How a program awaits a value: already completed, or completing later on the thread pool.
type Awaiting =
    | CompletedTask
    | PooledTask
    | TimerTask
    | CompletedValueTask
    | PooledValueTask
    | PooledAsync
    | PooledUnitTask
    | YieldAwaitable

/// A program in the builder's constructs.
type Prog =
    | Yield of int
    | YieldSeq of int list
    | Nested of Prog
    | Then of Prog * Prog
    | ForList of int list * Prog
    | ForAsync of int list * Prog
    | While of count: int * Prog
    | TryFinally of id: int * Prog
    | TryWith of Prog * handler: Prog
    | Throw of int
    | Await of Awaiting * int * Prog
    | Use of id: int * Prog
    | UseAsync of id: int * Prog
    | If of bool * Prog

/// What an observer sees: outputs (by the consumer), scopes entered and left (by the program),
/// and an exception escaping to the consumer.
type Event =
    | Out of int
    | Enter of int
    | Exit of int
    | Escaped of int

/// A model event, with the scopes open at that moment (innermost first).
type ModelEvent = { Event: Event; Open: int list }

/// The events of running a program to its end, as plain sequential code would produce them.
let model (program: Prog) : ModelEvent list =
    let events = ResizeArray()
    let emit scopes event = events.Add { Event = event; Open = scopes }
    let rec run scopes program : int option =
        let rec loop items body =
            match items with
            | [] -> None
            | x :: rest ->
                emit scopes (Out x)
                match run scopes body with
                | None -> loop rest body
                | failed -> failed
        match program with
        | Yield n ->
            emit scopes (Out n)
            None
        | YieldSeq xs ->
            for x in xs do
                emit scopes (Out x)
            None
        | Nested p -> run scopes p
        | Then (a, b) ->
            match run scopes a with
            | None -> run scopes b
            | failed -> failed
        | ForList (xs, body)
        | ForAsync (xs, body) -> loop xs body
        | While (n, body) -> loop [ for i in 0 .. n - 1 -> 1000 + i ] body
        | TryFinally (id, body)
        | Use (id, body)
        | UseAsync (id, body) ->
            emit scopes (Enter id)
            let result = run (id :: scopes) body
            emit scopes (Exit id)
            result
        | TryWith (body, handler) ->
            match run scopes body with
            | None -> None
            | Some _ -> run scopes handler
        | Throw id -> Some id
        | Await (_, v, body) ->
            emit scopes (Out v)
            run scopes body
        | If (condition, p) -> if condition then run scopes p else None
    match run [] program with
    | Some id -> emit [] (Escaped id)
    | None -> ()
    List.ofSeq events

/// The model's events when the consumer stops after `count` outputs and disposes: everything
/// up to that output, then the scopes open there, innermost first.
let stoppedAfter (count: int) (events: ModelEvent list) : Event list =
    let rec go remaining seen events =
        match events with
        | [] -> List.rev seen
        | { Event = Out _ as out; Open = scopes } :: _ when remaining = 1 ->
            List.rev (out :: seen) @ List.map Exit scopes
        | { Event = Out _ as out } :: rest -> go (remaining - 1) (out :: seen) rest
        | { Event = event } :: rest -> go remaining (event :: seen) rest
    if count = 0 then [] else go count [] events

let fullRun (events: ModelEvent list) = events |> List.map _.Event

// ---- Running programs ----

type Trace() =
    let events = ResizeArray<Event>()
    member _.Add(event: Event) = lock events (fun () -> events.Add event)
    member _.Events = lock events (fun () -> List.ofSeq events)

type TracedResource(trace: Trace, id: int) =
    interface IDisposable with
        member _.Dispose() = trace.Add(Exit id)

type TracedAsyncResource(trace: Trace, id: int) =
    interface IAsyncDisposable with
        member _.DisposeAsync() =
            ValueTask(
                task {
                    do! Task.Yield()
                    trace.Add(Exit id)
                }
            )

/// Completes on the thread pool, usually after the awaiter has started waiting.
let pooled (value: 'T) : Task<'T> =
    let done' = TaskCompletionSource<'T>(TaskCreationOptions.RunContinuationsAsynchronously)
    ThreadPool.UnsafeQueueUserWorkItem((fun _ -> done'.SetResult value), null) |> ignore
    done'.Task

/// An Async that returns on the thread pool.
let onThreadPool (value: 'T) : Async<'T> =
    async {
        do! Async.SwitchToThreadPool()
        return value
    }

/// A task sequence of `xs` whose even positions arrive asynchronously.
let asyncSource (xs: int list) : TaskSeq<int> =
    taskSeq {
        for i, x in List.indexed xs do
            if i % 2 = 0 then do! Task.Yield()
            yield x
    }

/// The program as a `taskSeq { }`, compiled to a state machine.
let rec interpret (trace: Trace) (program: Prog) : TaskSeq<int> =
    taskSeq {
        match program with
        | Yield n -> yield n
        | YieldSeq xs -> yield! xs
        | Nested p -> yield! interpret trace p
        | Then (a, b) ->
            yield! interpret trace a
            yield! interpret trace b
        | ForList (xs, body) ->
            for x in xs do
                yield x
                yield! interpret trace body
        | ForAsync (xs, body) ->
            for x in asyncSource xs do
                yield x
                yield! interpret trace body
        | While (n, body) ->
            let mutable i = 0
            while i < n do
                yield 1000 + i
                i <- i + 1
                yield! interpret trace body
        | TryFinally (id, body) ->
            trace.Add(Enter id)
            try
                yield! interpret trace body
            finally
                trace.Add(Exit id)
        | TryWith (body, handler) ->
            try
                yield! interpret trace body
            with Boom _ ->
                yield! interpret trace handler
        | Throw id -> raise (Boom id)
        | Await (awaiting, v, body) ->
            match awaiting with
            | CompletedTask ->
                let! x = Task.FromResult v
                yield x
            | PooledTask ->
                let! x = pooled v
                yield x
            | TimerTask ->
                let! x = later v
                yield x
            | CompletedValueTask ->
                let! x = ValueTask<int> v
                yield x
            | PooledValueTask ->
                let! x = ValueTask<int>(pooled v)
                yield x
            | PooledAsync ->
                let! x = onThreadPool v
                yield x
            | PooledUnitTask ->
                do! (pooled () :> Task)
                yield v
            | YieldAwaitable ->
                do! Task.Yield()
                yield v
            yield! interpret trace body
        | Use (id, body) ->
            trace.Add(Enter id)
            use _ = new TracedResource(trace, id)
            yield! interpret trace body
        | UseAsync (id, body) ->
            trace.Add(Enter id)
            use _ = new TracedAsyncResource(trace, id)
            yield! interpret trace body
        | If (condition, p) -> if condition then yield! interpret trace p
    }

let private b = taskSeq

/// The program built from the builder's members outside any state machine: the dynamic path.
/// Every piece with an effect sits under Delay so it runs when reached, not when built.
let rec private code (trace: Trace) (program: Prog) : TaskSeqCode<int> =
    let thenBody (body: Prog) (x: int) = b.Combine(b.Yield x, b.Delay(fun () -> code trace body))
    match program with
    | Yield n -> b.Yield n
    | YieldSeq xs -> b.YieldFrom(xs :> seq<int>)
    | Nested p -> b.YieldFrom(interpretDynamically trace p)
    | Then (p, q) -> b.Combine(code trace p, b.Delay(fun () -> code trace q))
    | ForList (xs, body) -> b.For(xs, thenBody body)
    | ForAsync (xs, body) -> b.For(asyncSource xs, thenBody body)
    | While (n, body) ->
        b.Delay(fun () ->
            let i = ref 0
            b.While(
                (fun () -> i.Value < n),
                b.Delay(fun () ->
                    let v = i.Value
                    i.Value <- v + 1
                    thenBody body (1000 + v))
            ))
    | TryFinally (id, body) ->
        b.Delay(fun () ->
            trace.Add(Enter id)
            b.TryFinally(b.Delay(fun () -> code trace body), (fun () -> trace.Add(Exit id))))
    | TryWith (body, handler) ->
        b.TryWith(
            b.Delay(fun () -> code trace body),
            (fun e ->
                match e with
                | Boom _ -> code trace handler
                | _ -> raise e)
        )
    | Throw id -> b.Delay(fun () -> raise (Boom id))
    | Await (awaiting, v, body) ->
        b.Delay(fun () ->
            match awaiting with
            | CompletedTask -> b.Bind(Task.FromResult v, thenBody body)
            | PooledTask -> b.Bind(pooled v, thenBody body)
            | TimerTask -> b.Bind(later v, thenBody body)
            | CompletedValueTask -> b.Bind(ValueTask<int> v, thenBody body)
            | PooledValueTask -> b.Bind(ValueTask<int>(pooled v), thenBody body)
            | PooledAsync -> b.Bind(onThreadPool v, thenBody body)
            | PooledUnitTask -> b.Bind((pooled () :> Task), (fun () -> thenBody body v))
            | YieldAwaitable -> b.Bind(Task.Yield(), (fun () -> thenBody body v)))
    | Use (id, body) ->
        b.Delay(fun () ->
            trace.Add(Enter id)
            b.Using(new TracedResource(trace, id), (fun _ -> code trace body)))
    | UseAsync (id, body) ->
        b.Delay(fun () ->
            trace.Add(Enter id)
            b.Using(new TracedAsyncResource(trace, id), (fun _ -> code trace body)))
    | If (condition, p) -> if condition then code trace p else b.Zero()

and interpretDynamically (trace: Trace) (program: Prog) : TaskSeq<int> =
    b.Run(b.Delay(fun () -> code trace program))

/// Pulls at most `limit` outputs by hand, recording them and an escaping Boom, then disposes.
/// With a token source, cancels it after `limit` outputs and expects the next step to be refused.
let pull (trace: Trace) (limit: int) (cancel: CancellationTokenSource option) (s: TaskSeq<int>) : Event list =
    wait (
        task {
            let e = s.GetAsyncEnumerator(match cancel with Some cts -> cts.Token | None -> CancellationToken.None)
            let mutable count = 0
            let mutable go = true
            while go && (count < limit || cancel.IsSome) do
                if count = limit then
                    cancel.Value.Cancel()
                    try
                        let! _ = e.MoveNextAsync()
                        Assert.Fail "a step after cancellation must fail"
                    with :? OperationCanceledException ->
                        ()
                    go <- false
                else
                    try
                        let! more = e.MoveNextAsync()
                        if more then
                            trace.Add(Out e.Current)
                            count <- count + 1
                        else
                            go <- false
                    with Boom id ->
                        trace.Add(Escaped id)
                        go <- false
            do! e.DisposeAsync()
            return trace.Events
        }
    )

let everything = Int32.MaxValue

let expectTrace (expected: Event list) (actual: Event list) =
    if actual <> expected then
        Assert.Fail($"expected %A{expected}\nbut saw  %A{actual}")

/// Every scope entered was left exactly once.
let expectBalanced (events: Event list) =
    let count f = events |> List.choose f |> List.countBy id |> Map.ofList
    let entered = count (function Enter id -> Some id | _ -> None)
    let left = count (function Exit id -> Some id | _ -> None)
    if entered <> left then Assert.Fail($"scopes entered %A{entered} but left %A{left}")

// ---- Generators ----

let genProg : Gen<Prog> =
    let small = Gen.choose (0, 99)
    let smallList = Gen.choose (0, 3) |> Gen.bind (fun n -> Gen.listOfLength n small)
    let awaiting =
        Gen.frequency
            [ 3, Gen.constant CompletedTask
              3, Gen.constant PooledTask
              1, Gen.constant TimerTask
              2, Gen.constant CompletedValueTask
              2, Gen.constant PooledValueTask
              2, Gen.constant PooledAsync
              2, Gen.constant PooledUnitTask
              2, Gen.constant YieldAwaitable ]
    let leaf =
        Gen.frequency [ 6, Gen.map Yield small; 2, Gen.map YieldSeq smallList; 1, Gen.map Throw small ]
    let rec prog size =
        if size <= 1 then
            leaf
        else
            let half = prog (size / 2)
            let third = prog (size / 3)
            Gen.frequency
                [ 3, leaf
                  5, Gen.map2 (fun p q -> Then(p, q)) half half
                  1, Gen.map Nested half
                  2, Gen.map2 (fun xs p -> ForList(xs, p)) smallList third
                  2, Gen.map2 (fun xs p -> ForAsync(xs, p)) smallList third
                  1, Gen.map2 (fun n p -> While(n, p)) (Gen.choose (0, 3)) third
                  3, Gen.map2 (fun id p -> TryFinally(id, p)) small half
                  2, Gen.map2 (fun p q -> TryWith(p, q)) half half
                  3, Gen.map3 (fun a v p -> Await(a, v, p)) awaiting small half
                  1, Gen.map2 (fun id p -> Use(id, p)) small half
                  1, Gen.map2 (fun id p -> UseAsync(id, p)) small half
                  1, Gen.map2 (fun c p -> If(c, p)) (Gen.elements [ true; false ]) half ]
    Gen.sized (fun size -> prog (min size 40))

/// Shrinks towards sub-programs, so a failure reports a small program.
let rec shrinkProg (program: Prog) : seq<Prog> =
    seq {
        match program with
        | Yield _ -> ()
        | YieldSeq _
        | Throw _ -> yield Yield 0
        | Nested p
        | ForList (_, p)
        | ForAsync (_, p)
        | While (_, p)
        | TryFinally (_, p)
        | Await (_, _, p)
        | Use (_, p)
        | UseAsync (_, p)
        | If (_, p) ->
            yield p
            yield Yield 0
        | Then (p, q) ->
            yield p
            yield q
            for p' in shrinkProg p -> Then(p', q)
            for q' in shrinkProg q -> Then(p, q')
        | TryWith (p, q) ->
            yield p
            yield q
            for p' in shrinkProg p -> TryWith(p', q)
    }

type Programs =
    static member Prog() : Arbitrary<Prog> = Arb.fromGenShrink (genProg, shrinkProg)

// ---- Properties of the builder ----

let ``the interpreters really take the static and the dynamic path`` () =
    TaskSeqTests.requireOptimisedBuild ()
    Assert.That(interpret (Trace()) (Yield 1), Is.Not.InstanceOf<TaskSeqDynamic<int>>())
    Assert.That(interpretDynamically (Trace()) (Yield 1), Is.InstanceOf<TaskSeqDynamic<int>>())

let ``a random program gives the events of its sequential model`` (program: Prog) =
    let expected = fullRun (model program)
    let trace = Trace()
    expectTrace expected (pull trace everything None (interpret trace program))

let ``a random program gives the events of its sequential model on the dynamic path`` (program: Prog) =
    let expected = fullRun (model program)
    let trace = Trace()
    expectTrace expected (pull trace everything None (interpretDynamically trace program))

let ``stopping after n elements runs every pending clean-up exactly once`` (program: Prog) (NonNegativeInt n) =
    let expected = stoppedAfter n (model program)
    for run in [ interpret; interpretDynamically ] do
        let trace = Trace()
        let events = pull trace n None (run trace program)
        expectTrace expected events
        expectBalanced events

let ``TaskSeq.truncate n stops the source like an early break`` (program: Prog) (NonNegativeInt n) =
    let expected = stoppedAfter n (model program)
    let trace = Trace()
    expectTrace expected (pull trace everything None (TaskSeq.truncate n (interpret trace program)))

exception Stop

let ``an exception in the consumer's task { for } body disposes like an early break`` (program: Prog) (PositiveInt n) =
    let expected = stoppedAfter n (model program)
    let trace = Trace()
    let consumer =
        task {
            let mutable count = 0
            try
                for x in interpret trace program do
                    trace.Add(Out x)
                    count <- count + 1
                    if count = n then raise Stop
            with
            | Stop -> ()
            | Boom id -> trace.Add(Escaped id)
        }
    waitUnit consumer
    expectTrace expected trace.Events

let ``cancelling after n elements fails the next step and the clean-ups still run once`` (program: Prog) (NonNegativeInt n) =
    let expected = stoppedAfter n (model program)
    for run in [ interpret; interpretDynamically ] do
        let trace = Trace()
        use cts = new CancellationTokenSource()
        let events = pull trace n (Some cts) (run trace program)
        expectTrace expected events
        expectBalanced events

// ---- TaskSeq functions against List ----

/// A task sequence of `xs` in which every third element arrives asynchronously.
let source (xs: int list) : TaskSeq<int> =
    taskSeq {
        for i, x in List.indexed xs do
            if i % 3 = 1 then do! Task.Yield()
            yield x
    }

let private collected (s: TaskSeq<'T>) : Result<'T list, string> =
    try
        Ok(consume s)
    with e ->
        Error(e.GetType().Name)

let private listResult (f: unit -> 'T list) : Result<'T list, string> =
    try
        Ok(f ())
    with e ->
        Error(e.GetType().Name)

let private agree (name: string) (expected: 'T) (actual: 'T) =
    if actual <> expected then Assert.Fail($"{name}: expected %A{expected}\nbut was %A{actual}")

let ``TaskSeq transformations agree with List`` (xs: int list) (ys: int list) (NonNegativeInt n) =
    let s = source xs
    let even x = x % 2 = 0
    let pick x = if x > 0 then Some(x * 2) else None
    agree "map" (List.map ((*) 3) xs) (consume (TaskSeq.map ((*) 3) s))
    agree "mapAsync" (List.map ((+) 1) xs) (consume (TaskSeq.mapAsync (fun x -> pooled (x + 1)) s))
    agree "filter" (List.filter even xs) (consume (TaskSeq.filter even s))
    agree "filterAsync" (List.filter even xs) (consume (TaskSeq.filterAsync (even >> pooled) s))
    agree "choose" (List.choose pick xs) (consume (TaskSeq.choose pick s))
    agree "chooseAsync" (List.choose pick xs) (consume (TaskSeq.chooseAsync (pick >> Task.FromResult) s))
    agree "collect" (List.collect (fun x -> [ x; x + 1 ]) xs) (consume (TaskSeq.collect (fun x -> source [ x; x + 1 ]) s))
    agree "indexed" (List.indexed xs) (consume (TaskSeq.indexed s))
    agree "append" (xs @ ys) (consume (TaskSeq.append s (source ys)))
    agree "concat" (xs @ ys @ xs) (consume (TaskSeq.concat (TaskSeq.ofList [ s; source ys; s ])))
    let shorter = min xs.Length ys.Length
    agree "zip" (List.zip (List.take shorter xs) (List.take shorter ys)) (consume (TaskSeq.zip s (source ys)))
    agree "take" (listResult (fun () -> Seq.take n xs |> List.ofSeq)) (collected (TaskSeq.take n s))
    agree "truncate" (List.truncate n xs) (consume (TaskSeq.truncate n s))
    agree "skip" (listResult (fun () -> Seq.skip n xs |> List.ofSeq)) (collected (TaskSeq.skip n s))
    agree "takeWhile" (List.takeWhile ((<) 0) xs) (consume (TaskSeq.takeWhile ((<) 0) s))

let ``TaskSeq consumers agree with List`` (xs: int list) (threshold: int) =
    let s = source xs
    let above x = x > threshold
    let seen = ResizeArray()
    wait (TaskSeq.iter seen.Add s)
    agree "iter" xs (List.ofSeq seen)
    agree "fold" (List.fold (fun acc x -> acc * 31 + x) 7 xs) (wait (TaskSeq.fold (fun acc x -> acc * 31 + x) 7 s))
    agree "foldAsync" (List.fold (-) 0 xs) (wait (TaskSeq.foldAsync (fun acc x -> pooled (acc - x)) 0 s))
    agree "sum" (List.sum xs) (wait (TaskSeq.sum s))
    agree "length" xs.Length (wait (TaskSeq.length s))
    agree "exists" (List.exists above xs) (wait (TaskSeq.exists above s))
    agree "forall" (List.forall above xs) (wait (TaskSeq.forall above s))
    agree "tryHead" (List.tryHead xs) (wait (TaskSeq.tryHead s))
    agree "tryLast" (List.tryLast xs) (wait (TaskSeq.tryLast s))
    agree "isEmpty" xs.IsEmpty (wait (TaskSeq.isEmpty s))
    agree "toArrayAsync" (Array.ofList xs) (wait (TaskSeq.toArrayAsync s))
    agree "toListAsync" xs (wait (TaskSeq.toListAsync s))

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TaskSeqProperties" [
        Register.test "the interpreters really take the static and the dynamic path" ``the interpreters really take the static and the dynamic path``
        Register.property 100 [ typeof<Programs> ] "a random program gives the events of its sequential model" ``a random program gives the events of its sequential model``
        Register.property 100 [ typeof<Programs> ] "a random program gives the events of its sequential model on the dynamic path" ``a random program gives the events of its sequential model on the dynamic path``
        Register.property 100 [ typeof<Programs> ] "stopping after n elements runs every pending clean-up exactly once" ``stopping after n elements runs every pending clean-up exactly once``
        Register.property 100 [ typeof<Programs> ] "TaskSeq.truncate n stops the source like an early break" ``TaskSeq.truncate n stops the source like an early break``
        Register.property 100 [ typeof<Programs> ] "an exception in the consumer's task { for } body disposes like an early break" ``an exception in the consumer's task { for } body disposes like an early break``
        Register.property 100 [ typeof<Programs> ] "cancelling after n elements fails the next step and the clean-ups still run once" ``cancelling after n elements fails the next step and the clean-ups still run once``
        Register.property 100 [] "TaskSeq transformations agree with List" ``TaskSeq transformations agree with List``
        Register.property 100 [] "TaskSeq consumers agree with List" ``TaskSeq consumers agree with List``
    ]
