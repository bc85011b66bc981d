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

/// Prints one line to standard output at once (the test reads it as it comes; actors share the
/// root's standard output, and a line this short is written whole).
let private say (line: string) =
    Console.Out.WriteLine line
    Console.Out.Flush()

/// An actor tree `depth` levels below this actor, `fanout` children each; every actor says
/// `up <depth> <pid>` once its children are started, then hangs.
let rec node (depth: int) (fanout: int) () : Task<int> =
    if depth <= 0 then
        say $"up 0 {Environment.ProcessId}"
        hang ()
    else
        nursery {
            for i in 1..fanout do
                let! _ = runInActor ($"n{depth}_{i}", node (depth - 1) fanout)
                ()

            say $"up {depth} {Environment.ProcessId}"
            return! hang ()
        }

/// A child with a warm pool of its own: fills it, says so (`Started`), then hangs.
let keeper (ctx: Context<int>) (size: int) : Task<int> =
    nursery.With(spawnMethod = SpawnMethod.WarmPool, poolSize = size) {
        let! n = currentNursery
        do! n.FillPoolAsync()
        do! ctx.Started size
        return! hang ()
    }

/// `pool <size>`: a warm pool of `size` here, a keeper daemon taken from it with a pool of its
/// own; prints `pools warm` once both pools are full and warm, then hangs (the test SIGKILLs it).
let pools (size: int) : Task<int> =
    task {
        do!
            nursery.With(spawnMethod = SpawnMethod.WarmPool, poolSize = size) {
                let! n = currentNursery
                do! n.FillPoolAsync()
                let! d = startActor ("keeper", [ "TractorNet.TestApp.Program" ])
                let! _, _ = d.OpenContext(keeper, size)
                do! n.FillPoolAsync()
                say "pools warm"
                let! _ = hang ()
                ()
            }

        return 0
    }

/// Waits until standard input closes: the test ends a serving program by closing it.
let private untilStdinCloses () : Task =
    Task.Run(fun () -> Console.In.ReadToEnd() |> ignore)

/// `serve <name>`: a discoverable daemon `<name>` serving DiscoveryService, until standard input
/// closes; prints `ready <name> <pid>` once it is registered.
let serve (name: string) : Task<int> =
    task {
        do!
            nursery {
                let! portal = startDiscoverableActor (name, [ TractorNet.Testing.DiscoveryService.moduleName ])
                say $"ready {name} {portal.Pid}"
                do! untilStdinCloses ()
                let! _ = portal.CancelActor()
                ()
            }

        return 0
    }

/// `find <name>...`: for each name, prints `found <name> <pid> <greeting>` (a call through the
/// peer portal) or `none <name>`.
let find (names: string[]) : Task<int> =
    task {
        for name in names do
            match! findActor name with
            | Some portal ->
                let! greeting = portal.Run(fun () -> TractorNet.Testing.DiscoveryService.greet "finder")
                say $"found {name} {portal.Pid} {greeting}"
            | None -> say $"none {name}"

        return 0
    }

/// `wait <name>`: waits (at most 60 s) for `<name>` and prints `found <name> <pid> <greeting>`.
let wait (name: string) : Task<int> =
    task {
        let! outcome =
            CancelScope.failAfter (TimeSpan.FromSeconds 60.0) (fun _ ->
                task {
                    let! portal = waitForActor name
                    let! greeting = portal.Run(fun () -> TractorNet.Testing.DiscoveryService.greet "waiter")
                    say $"found {name} {portal.Pid} {greeting}"
                })

        return 0
    }

/// `remote <name>`: finds `<name>`, sums a 1000-item stream from it (`streamed <sum>`), then
/// opens a context on it, cancels the context and asks whether the far side saw the cancel
/// (`cancel seen <bool>`).
let remote (name: string) : Task<int> =
    task {
        match! findActor name with
        | None -> say $"none {name}"
        | Some peer ->
            let mutable sum = 0

            for x in peer.OpenStreamFrom(fun () -> TractorNet.Testing.DiscoveryService.count 1000) do
                sum <- sum + x

            say $"streamed {sum}"
            let! ctx, _ = peer.OpenContext(TractorNet.Testing.DiscoveryService.awaitCancel)
            do! ctx.Cancel()
            do! ctx.DisposeAsync()
            let! seen = peer.Run(fun () -> TractorNet.Testing.DiscoveryService.cancelSeen ())
            say $"cancel seen {seen}"

        return 0
    }

/// `query <name>`: prints `address <address>` or `none <name>`.
let query (name: string) : Task<int> =
    task {
        match! queryActor name with
        | Some address -> say $"address {address}"
        | None -> say $"none {name}"

        return 0
    }

/// Pauses once (the debugger's tests), then returns its name.
let pauseOnce (name: string) : Task<string> =
    task {
        do! Debug.pause [ "name", box name ]
        return name
    }

/// `pausers on|off`: two children pause at once, in debug mode or not; prints `done a b`.
let pausers (debugMode: bool) : Task<int> =
    task {
        let! names =
            nursery.With(debugMode = debugMode) {
                let! a = runInActor ("pauser_a", fun () -> pauseOnce "a")
                let! b = runInActor ("pauser_b", fun () -> pauseOnce "b")
                let! x = a.Result()
                let! y = b.Result()
                return $"{x} {y}"
            }

        say $"done {names}"
        return 0
    }

/// `ladder-waits`: a child pauses; once it holds the terminal lock the root cancels the nursery
/// with a 1 ms + 1 ms cancel ladder, prints `cancelling`, and the ladder must wait for the REPL.
let ladderWaits () : Task<int> =
    task {
        Actor.setCancelLadder { Graceful = TimeSpan.FromMilliseconds 1.0; Terminate = TimeSpan.FromMilliseconds 1.0 }

        do!
            nursery.With(debugMode = true) {
                let! n = currentNursery
                let! _ = runInActor ("holder", fun () -> pauseOnce "h")
                let relay = (TractorNet.Devx.DebugRelay.current ()).Value
                let sw = Diagnostics.Stopwatch.StartNew()

                // The lock has no event to wait on from here; polled, bounded.
                while not relay.HeldBelow && sw.Elapsed < TimeSpan.FromMinutes 1.0 do
                    do! Task.Delay 10

                say "cancelling"
                n.Cancel()
            }

        say "done"
        return 0
    }

/// `eval-timing`: how long the REPL's C# evaluator (Tractor.Debugger.Eval) takes in a fresh
/// process: its first expression (loading Roslyn, compiling) and a second one, in ms.
let evalTiming () : int =
    let values = [ "name", box "a"; "n", box 41 ]
    let time (text: string) =
        let sw = Diagnostics.Stopwatch.StartNew()
        let r = (TractorNet.Devx.Evaluator.evaluateAny values text).GetAwaiter().GetResult()
        sw.Elapsed.TotalMilliseconds, r

    let small, _ = time "name.Length"
    let first, r1 = time "n + 1"
    let second, r2 = time "name.ToUpper() + \"!\""
    say $"small {small:F1} first {first:F0} second {second:F0} results %A{r1} %A{r2}"
    0

/// Sets a signal's disposition (libc): used to give SIGINT back its default below.
[<System.Runtime.InteropServices.DllImport("libc")>]
extern nativeint private signal(int signum, nativeint handler)

[<EntryPoint>]
let main argv =
    // A program started from a non-interactive shell's background job inherits SIGINT ignored
    // (POSIX), and .NET then leaves Ctrl-C ignored too. The tests that press Ctrl-C mean a root
    // started from a terminal, whatever started the test run: restore the default first.
    signal (2, 0n) |> ignore

    // An etcd registry address needs its backend installed (spawned actors install it themselves).
    match System.Environment.GetEnvironmentVariable "TRACTOR_REGISTRY" with
    | null -> ()
    | a when a.StartsWith "etcd://" -> TractorNet.Discovery.Etcd.EtcdRegistry.install ()
    | _ -> ()

    match argv with
    | [| "eval-timing" |] -> evalTiming ()
    | [| "ladder-waits" |] -> (ladderWaits ()).GetAwaiter().GetResult()
    | [| "pausers"; mode |] ->
        try
            (pausers (mode = "on")).GetAwaiter().GetResult()
        with e ->
            eprintfn $"pausers failed: {e.GetType().Name}: {e.Message}"
            1
    | [| "serve"; name |] ->
        try
            (serve name).GetAwaiter().GetResult()
        with e ->
            eprintfn $"serve failed: {e.GetType().Name}: {e.Message}"
            1
    | [| "daemon"; name |] ->
        // Ctrl-C ends it: runDaemon returns after unregistering.
        try
            (runDaemon (name, [ TractorNet.Testing.DiscoveryService.moduleName ])).GetAwaiter().GetResult()
            0
        with e ->
            eprintfn $"daemon failed: {e.GetType().Name}: {e.Message}"
            1
    | [| "remote"; name |] ->
        try
            (remote name).GetAwaiter().GetResult()
        with e ->
            eprintfn $"remote failed: {e.GetType().Name}: {e.Message}"
            1
    | [| "query"; name |] ->
        try
            (query name).GetAwaiter().GetResult()
        with e ->
            eprintfn $"query failed: {e.GetType().Name}: {e.Message}"
            1
    | [| "wait"; name |] ->
        try
            (wait name).GetAwaiter().GetResult()
        with e ->
            eprintfn $"wait failed: {e.GetType().Name}: {e.Message}"
            1
    | _ when argv.Length >= 2 && argv[0] = "find" ->
        try
            (find argv[1..]).GetAwaiter().GetResult()
        with e ->
            eprintfn $"find failed: {e.GetType().Name}: {e.Message}"
            1
    | [| "pool"; size |] -> (pools (int size)).GetAwaiter().GetResult()
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
        eprintfn "usage: Tractor.TestApp tree <depth> <fanout> | serve <name> | find <name>... | wait <name> | query <name> | daemon <name>"
        2
