/// Runs this suite on Expecto: each test file ends with a `[<Tests>]` list built with `Register`;
/// `withZombieCheck` puts the zombie check (and a hang guard) around every test case; NUnit's
/// constraint assertions (`Assert.That`), which the test bodies use, are reported as Expecto
/// failures and skips.
[<AutoOpen>]
module TractorNet.Tests.ExpectoSupport

open System
open System.Collections.Concurrent
open System.Runtime.ExceptionServices
open System.Text.RegularExpressions
open System.Threading.Tasks
open Expecto
open TractorNet.Testing

/// How long one test case may run before it fails as hung: generous, and set by
/// TRACTOR_TEST_HANG_MINUTES (0 = no limit, for the long fuzz tier).
let private hangTimeout =
    match Environment.GetEnvironmentVariable "TRACTOR_TEST_HANG_MINUTES" with
    | null
    | "" -> TimeSpan.FromMinutes 10.0
    | "0" -> Threading.Timeout.InfiniteTimeSpan
    | m -> TimeSpan.FromMinutes(float m)

/// The replay of a failed FsCheck property, "seed,gamma,size" as its failure prints it.
[<Literal>]
let ReplayVariable = "TRACTOR_REPLAY"

/// NUnit's assertion, skip and task exceptions as Expecto reports them: an assertion is a
/// failure (not an error), `Assert.Ignore` a skip, a task's single inner exception itself.
let rec private asExpecto (e: exn) : exn =
    match e with
    | :? AggregateException as a when a.InnerExceptions.Count = 1 -> asExpecto a.InnerExceptions[0]
    | :? NUnit.Framework.AssertionException as a -> AssertException(a.Message.Trim())
    | :? NUnit.Framework.IgnoreException as i -> IgnoreException(i.Message)
    | e -> e

/// A failed property's message gains the environment variable that replays it here.
let private withReplayHint (name: string) (e: exn) : exn =
    // Expecto.FsCheck prints "Focus on error: etestPropertyWithConfig (seed, gamma, Some size) ...".
    let m = Regex.Match(e.Message, @"Focus on error:\s*\w+ \((\d+)UL, (\d+)UL, (?:Some )?(\d+)\)")

    if m.Success then
        let replay = $"{m.Groups[1].Value},{m.Groups[2].Value},{m.Groups[3].Value}"
        let leaf = name.Substring(name.LastIndexOf '/' + 1)

        AssertException(
            $"{e.Message}\nReplay this case: {ReplayVariable}=\"{replay}\" dotnet run --project tests/Tractor.Tests -- --name \"{leaf}\""
        )
    else
        e

/// Runs one test case under the zombie check: the test fails if it leaves a process of this run
/// alive (the runtime promises every process is reaped before a nursery exits, so there is no
/// grace period); leftovers are SIGKILLed so later tests start clean. Also fails a case that
/// outlives the hang timeout.
let underZombieCheck (name: string) (body: unit -> Task) : Task =
    task {
        OurProcesses.ensureMarked ()
        // On the thread pool, so that a synchronous body cannot hold up the hang guard.
        let running =
            Task.Run<unit>(fun () ->
                task {
                    // A fresh NUnit context per test: outside NUnit, its assertions otherwise
                    // pile up in one shared context, and every failure repeats the earlier ones.
                    use _ = new NUnit.Framework.Internal.TestExecutionContext.IsolatedContext()
                    do! body ()
                })
        let! first = Task.WhenAny(running, Task.Delay hangTimeout)

        let failure =
            if not (obj.ReferenceEquals(first, running)) then
                Some(AssertException $"the test did not finish within {hangTimeout} (hang)" :> exn)
            elif running.IsFaulted then
                Some(asExpecto running.Exception)
            elif running.IsCanceled then
                Some(OperationCanceledException "the test was cancelled" :> exn)
            else
                None

        match OurProcesses.list () with
        | [] -> ()
        | leaked ->
            OurProcesses.killAll leaked
            let lines = leaked |> List.map (fun p -> $"  pid {p.Pid}: {p.CommandLine}")

            let also =
                match failure with
                | Some e -> $"\nThe test itself failed too: {e.GetType().Name}: {e.Message}"
                | None -> ""

            raise (
                AssertException(
                    $"Zombie check: test '{name}' left {leaked.Length} process(es) running:\n"
                    + String.Join("\n", lines)
                    + also
                )
            )

        match failure with
        | Some e -> ExceptionDispatchInfo.Throw e
        | None -> ()
    }

let private asAsync (t: unit -> Task) =
    async {
        try
            do! Async.AwaitTask(t ())
        with :? AggregateException as a when a.InnerExceptions.Count = 1 ->
            ExceptionDispatchInfo.Throw a.InnerExceptions[0]
    }

/// Puts every test case of `test` under the zombie check (`underZombieCheck`).
let withZombieCheck (test: Test) : Test =
    let rec wrap (path: string list) (test: Test) =
        match test with
        | TestLabel(label, t, state) -> TestLabel(label, wrap (path @ [ label ]) t, state)
        | TestList(tests, state) -> TestList(tests |> List.map (wrap path), state)
        | Test.Sequenced(how, t) -> Test.Sequenced(how, wrap path t)
        | TestCase(code, state) ->
            let name = String.Join("/", path)
            let guarded body = asAsync (fun () -> underZombieCheck name body)

            let code =
                match code with
                | Sync f -> TestCode.Async(guarded (fun () -> Task.Run f))
                | SyncWithCancel f -> TestCode.Async(async {
                    let! ct = Async.CancellationToken
                    return! guarded (fun () -> Task.Run(fun () -> f ct)) })
                | TestCode.Async a -> TestCode.Async(guarded (fun () -> Async.StartAsTask a))
                | AsyncFsCheck(testConfig, stressConfig, f) ->
                    AsyncFsCheck(testConfig, stressConfig, fun config -> async {
                        try
                            return! guarded (fun () -> Async.StartAsTask(f config))
                        with e ->
                            return raise (withReplayHint name e) })

            TestCase(code, state)

    wrap [] test

/// Categories of test cases by name (a category selects or skips tests: Main's `--category`).
let private categories = ConcurrentDictionary<string, string list>()

/// The categories of the test case with this name (its last name segment).
let categoriesOf (name: string) =
    match categories.TryGetValue name with
    | true, c -> c
    | _ -> []

/// The vocabulary each test file's `[<Tests>]` list is written in. A test is a function of the
/// file; `Register` names it and runs it (a Task, Task<'T> or plain function).
module Register =
    let private run (f: unit -> 'T) () : Task<unit> =
        task {
            match box (f ()) with
            | :? Task as t -> do! t
            | _ -> ()
        }

    /// A test case: `f ()` runs it.
    let test (name: string) (f: unit -> 'T) : Test = testCaseTask name (run f)

    /// One test case per argument set: `cases "name" [ "(1, 2)", (fun () -> f (1, 2)) ]`.
    let cases (name: string) (instances: (string * (unit -> 'T)) list) : Test list =
        [ for args, f in instances -> testCaseTask $"{name}{args}" (run f) ]

    /// One test case per item of `source ()`. An NUnit TestCaseData item gives its name and its
    /// arguments (a tuple for a function of several); any other item is the argument itself,
    /// named after its ToString.
    let casesFrom (name: string) (source: unit -> #seq<'Item>) (f: 'Arg -> 'T) : Test list =
        let seen = Collections.Generic.HashSet<string>()

        [ for item in source () do
              let caseName, arg =
                  match box item with
                  | :? NUnit.Framework.TestCaseData as d ->
                      let arg =
                          if Reflection.FSharpType.IsTuple typeof<'Arg> then
                              Reflection.FSharpValue.MakeTuple(d.Arguments, typeof<'Arg>) :?> 'Arg
                          else
                              d.Arguments[0] :?> 'Arg

                      (if isNull d.TestName then $"{name}({String.Join(',', d.Arguments)})" else d.TestName), arg
                  | o -> $"{name}({o})", unbox<'Arg> o
              // Expecto refuses two cases of one name.
              let caseName = if seen.Add caseName then caseName else $"{caseName} #{seen.Count}"
              seen.Add caseName |> ignore
              testCaseTask caseName (run (fun () -> f arg)) ]

    /// An FsCheck property, `maxTest` cases, with the given Arbitrary classes. A failure prints
    /// the replay; TRACTOR_REPLAY="seed,gamma,size" replays it.
    let property (maxTest: int) (arbitrary: Type list) (name: string) (property: 'P) : Test =
        let replay =
            match Environment.GetEnvironmentVariable ReplayVariable with
            | null
            | "" -> None
            | text ->
                match text.Trim('(', ')', ' ').Split(',', StringSplitOptions.TrimEntries) with
                | [| s; g; size |] -> Some(UInt64.Parse(s.TrimEnd('U', 'L')), UInt64.Parse(g.TrimEnd('U', 'L')), Some(int size))
                | [| s; g |] -> Some(UInt64.Parse(s.TrimEnd('U', 'L')), UInt64.Parse(g.TrimEnd('U', 'L')), None)
                | _ -> failwith $"{ReplayVariable}: expected 'seed,gamma,size', got '{text}'"

        let config =
            { FsCheckConfig.defaultConfig with
                maxTest = maxTest
                arbitrary = arbitrary
                replay = replay }

        testPropertyWithConfig config name property

    /// Puts test cases into a category (see `categoriesOf`).
    let category (name: string) (tests: Test list) : Test list =
        let rec mark (t: Test) =
            match t with
            | TestLabel(label, inner, _) ->
                categories.AddOrUpdate(label, [ name ], (fun _ old -> name :: old)) |> ignore
                mark inner
            | TestList(ts, _) -> List.iter mark ts
            | Test.Sequenced(_, inner) -> mark inner
            | TestCase _ -> ()

        List.iter mark tests
        tests

    /// The tests of one file, under the file's module name.
    let tests (moduleName: string) (tests: Test list) : Test = testList moduleName tests
