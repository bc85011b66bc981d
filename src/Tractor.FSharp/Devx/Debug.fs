namespace TractorNet

open System
open System.Diagnostics
open System.Runtime.CompilerServices
open System.Threading
open System.Threading.Tasks
open TractorNet.Devx
open TractorNet.Runtime

/// Debug mode and its entry points, for both languages (the C# facade calls these).
module internal Debugger =
    /// Whether `TRACTOR_DEBUG` asks for debug mode ("1", "true" or "yes").
    let fromEnvironment () =
        match Environment.GetEnvironmentVariable "TRACTOR_DEBUG" with
        | null -> false
        | v -> [ "1"; "true"; "yes" ] |> List.contains (v.Trim().ToLowerInvariant())

    /// At the root: turns debug mode on for the tree when asked (option or environment).
    let ensure (requested: bool) =
        if isNull DebugHooks.Current && (requested || fromEnvironment ()) then
            let rt = ActorRuntime.Current

            if rt.Parent.IsNone then
                DebugRelay.installRoot rt

    /// `Debug.pause`: free when debug mode is off.
    let pause (values: (string * obj) list) (file: string) (line: int) : Task =
        match DebugRelay.current () with
        | None -> Task.CompletedTask
        | Some relay ->
            task {
                let ctx =
                    { Kind = Paused
                      Actor = ActorRuntime.Current.Id
                      Pid = Environment.ProcessId
                      File = file
                      Line = line
                      Values = values
                      Error = null
                      Stack = StackText.here 0 }

                match! relay.Session ctx with
                | Quit -> return raise (DebuggerQuitError ActorRuntime.Current.Id)
                | Continue -> ()
            }

    /// `Debug.postMortem`: a crash REPL on `error` here and now (once per error).
    let postMortem (error: exn) : Task =
        match DebugRelay.current () with
        | None -> Task.CompletedTask
        | Some relay -> relay.PostMortem error

    /// `Debug.waitForDebugger`: polls `Debugger.IsAttached` (there is no event to wait on).
    let waitForDebugger (timeout: TimeSpan) (ct: CancellationToken) : Task<bool> =
        task {
            let id = (ActorRuntime.Current).Id
            eprintfn $"actor ('{id.Name}', '{id.Uid}') pid {Environment.ProcessId}: waiting for a debugger to attach"
            let sw = Stopwatch.StartNew()

            while not Debugger.IsAttached && (timeout = Timeout.InfiniteTimeSpan || sw.Elapsed < timeout) do
                do! Task.Delay(100, ct)

            return Debugger.IsAttached
        }

/// <summary>
/// The multi-process debugger (tractor's <c>pause()</c> and crash handler). In a tree running in
/// debug mode (<c>nurseryWith { DebugMode = true }</c>, <c>Tractor.OpenNursery(debugMode: true)</c> or
/// <c>TRACTOR_DEBUG=1</c>), a pause in any actor takes the tree-wide terminal lock from the root and
/// opens a REPL on the root's terminal; an error escaping an actor's function opens one in that
/// actor and again in each parent as it climbs. Off by default, and then a pause does nothing.
/// </summary>
[<AbstractClass; Sealed>]
type Debug =
    /// <summary>
    /// Stops this task and opens a REPL on the root's terminal once the tree-wide terminal lock is
    /// this actor's (other pausing actors queue first come, first served; everything else keeps
    /// running). <c>c</c> continues; <c>q</c> raises <see cref="DebuggerQuitError"/>. Without debug mode
    /// it returns at once; without a terminal on the root's standard input it says so on standard
    /// error and continues.
    /// </summary>
    /// <param name="values">Values the REPL shows (<c>args</c>) and evaluates (<c>p x.Member</c>): <c>Debug.pause [ "x", box x ]</c>.</param>
    /// <param name="file">The caller's source file (filled in by the compiler).</param>
    /// <param name="line">The caller's line (filled in by the compiler).</param>
    static member pause(?values: (string * obj) list, [<CallerFilePath>] ?file: string, [<CallerLineNumber>] ?line: int) : Task =
        Debugger.pause (defaultArg values []) (defaultArg file "") (defaultArg line 0)

    /// <summary>Opens the crash REPL on <paramref name="error"/> here (tractor's <c>post_mortem()</c>); at once without debug mode.</summary>
    static member postMortem(error: exn) : Task = Debugger.postMortem error

    /// <summary>
    /// Prints this actor's pid on standard error and waits until an IDE debugger (Rider, VS Code,
    /// Visual Studio) is attached; true once attached, false when <paramref name="timeout"/> passed first.
    /// </summary>
    static member waitForDebugger(?timeout: TimeSpan, ?cancellationToken: CancellationToken) : Task<bool> =
        Debugger.waitForDebugger (defaultArg timeout Timeout.InfiniteTimeSpan) (defaultArg cancellationToken CancellationToken.None)

    /// <summary>Whether this actor's tree runs in debug mode.</summary>
    static member isEnabled() = not (isNull DebugHooks.Current)
