/// The F# suite's entry point: `dotnet run --project tests/Tractor.Tests -- [options]`.
/// Runs every `[<Tests>]` list of this assembly on Expecto, sequenced, each case under the
/// zombie check, and ends with the plain line "N passed, N failed, N skipped". A run that
/// selects no test fails.
module TractorNet.Tests.Main

open System
open Expecto

let private usage =
    """Options of this runner (Expecto's own follow, e.g. --filter-test-case, --list-tests, --debug):
  --name TEXT            only tests whose full name ("Module/test name") contains TEXT (any case)
  --category NAME        only tests of that category (Fuzz, Packages)
  --skip-category NAME   leave out the tests of that category
  --allow-empty          selecting no test is not a failure (for a caller that sums several suites)"""

type private Selection =
    { Names: string list
      Categories: string list
      SkipCategories: string list
      AllowEmpty: bool }

let rec private parse (sel: Selection) (rest: string list) (args: string list) =
    match args with
    | "--name" :: text :: tail -> parse { sel with Names = text :: sel.Names } rest tail
    | "--category" :: c :: tail -> parse { sel with Categories = c :: sel.Categories } rest tail
    | "--skip-category" :: c :: tail -> parse { sel with SkipCategories = c :: sel.SkipCategories } rest tail
    | "--allow-empty" :: tail -> parse { sel with AllowEmpty = true } rest tail
    | a :: tail -> parse sel (a :: rest) tail
    | [] -> sel, List.rev rest

/// Keeps the test cases whose path passes `keep`.
let rec private select (keep: string list -> bool) (path: string list) (test: Test) : Test option =
    match test with
    | TestLabel(label, inner, state) -> select keep (path @ [ label ]) inner |> Option.map (fun t -> TestLabel(label, t, state))
    | TestList(tests, state) ->
        match List.choose (select keep path) tests with
        | [] -> None
        | kept -> Some(TestList(kept, state))
    | Test.Sequenced(how, inner) -> select keep path inner |> Option.map (fun t -> Test.Sequenced(how, t))
    | TestCase _ -> if keep path then Some test else None

[<EntryPoint>]
let main argv =
    if argv |> Array.exists (fun a -> a = "--help" || a = "-h") then
        printfn "%s\n" usage

    let sel, expectoArgs =
        parse
            { Names = []
              Categories = []
              SkipCategories = []
              AllowEmpty = false }
            []
            (List.ofArray argv)

    let keep (path: string list) =
        let full = String.Join("/", path)
        let cats = categoriesOf (List.last path)

        (sel.Names.IsEmpty
         || sel.Names |> List.exists (fun n -> full.Contains(n, StringComparison.OrdinalIgnoreCase)))
        && (sel.Categories.IsEmpty || sel.Categories |> List.exists (fun c -> List.contains c cats))
        && not (sel.SkipCategories |> List.exists (fun c -> List.contains c cats))

    let all = Impl.testFromAssembly (Reflection.Assembly.GetExecutingAssembly()) |> Option.defaultValue (TestList([], Normal))
    let selected = select keep [] all |> Option.defaultValue (TestList([], Normal))
    let mutable summary = None

    let config =
        [ // The zombie check looks at every process of this run: one test at a time.
          CLIArguments.Sequenced
          // Test names are sentences with dots in them; "/" separates module and test.
          CLIArguments.JoinWith "/"
          CLIArguments.Append_Summary_Handler(SummaryHandler(fun s -> summary <- Some s)) ]

    let config = if Console.IsOutputRedirected then CLIArguments.No_Spinner :: config else config
    let code = runTestsWithCLIArgs config (Array.ofList expectoArgs) (withZombieCheck selected)

    match summary with
    | Some s ->
        let passed, failed, skipped = s.passed.Length, s.failed.Length + s.errored.Length, s.ignored.Length

        if passed + failed + skipped = 0 && not sel.AllowEmpty then
            eprintfn "No test was selected: check the filter (--list-tests lists every test)."
            printfn "0 passed, 1 failed, 0 skipped"
            2
        else
            printfn $"{passed} passed, {failed} failed, {skipped} skipped"
            code
    | None -> code // --list-tests, --help, --version: no run
