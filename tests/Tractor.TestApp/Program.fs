/// A root actor program for tests that need the root to be a separate process (SIGKILL and
/// SIGINT of the root or an intermediate actor).
module TractorNet.TestApp.Program

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

let hang () : Task<int> =
    task {
        do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken)
        return 0
    }

/// An actor tree `depth` levels below this actor, `fanout` children each; every actor hangs.
let rec node (depth: int) (fanout: int) () : Task<int> =
    if depth <= 0 then
        hang ()
    else
        nursery {
            for i in 1..fanout do
                let! _ = runInActor ($"n{depth}_{i}", node (depth - 1) fanout)
                ()

            return! hang ()
        }

/// Sets a signal's disposition (libc): used to give SIGINT back its default below.
[<System.Runtime.InteropServices.DllImport("libc")>]
extern nativeint private signal(int signum, nativeint handler)

[<EntryPoint>]
let main argv =
    // A program started from a non-interactive shell's background job inherits SIGINT ignored
    // (POSIX), and .NET then leaves Ctrl-C ignored too. The tests that press Ctrl-C mean a root
    // started from a terminal, whatever started the test run: restore the default first.
    signal (2, 0n) |> ignore

    match argv with
    | [| "tree"; depth; fanout |] ->
        try
            node (int depth) (int fanout) () |> _.GetAwaiter().GetResult() |> ignore
            0
        with
        | :? OperationCanceledException ->
            eprintfn "tree cancelled"
            130
        | e ->
            eprintfn $"tree failed: {e.GetType().Name}: {e.Message}"
            1
    | _ ->
        eprintfn "usage: Tractor.TestApp tree <depth> <fanout>"
        2
