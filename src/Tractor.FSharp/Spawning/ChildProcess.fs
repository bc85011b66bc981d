namespace TractorNet.Spawning

open System
open System.Diagnostics
open System.IO
open System.Reflection
open System.Runtime.InteropServices
open System.Threading.Tasks
open TractorNet

/// How the parent starts the child: `dotnet exec` of this library's own entry point
/// (`Tractor.FSharp.dll` is built as an executable) with the *application's* deps file and
/// runtime config, so the child loads exactly the parent's assemblies without re-running the
/// user's `main`.
module internal ChildCommand =
    /// The marker argument before the actor's name; `ps`/`pstree -a` show it.
    [<Literal>]
    let ActorArgument = "--tractor-actor"

    let private dotnetHost =
        lazy
            (let viaProcess = Environment.ProcessPath

             if not (isNull viaProcess) && Path.GetFileNameWithoutExtension viaProcess = "dotnet" then
                 viaProcess
             else
                 match Environment.GetEnvironmentVariable "DOTNET_HOST_PATH" with
                 | null
                 | "" ->
                     // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
                     let runtimeDir = RuntimeEnvironment.GetRuntimeDirectory()
                     let root = DirectoryInfo(runtimeDir.TrimEnd('/')).Parent.Parent.Parent.FullName
                     Path.Combine(root, "dotnet")
                 | host -> host)

    /// The application's deps file: the first entry the host loaded (the app, not the framework).
    let private appDepsFile =
        lazy
            (match AppContext.GetData "APP_CONTEXT_DEPS_FILES" with
             | :? string as files ->
                 files.Split(';', StringSplitOptions.RemoveEmptyEntries)
                 |> Array.tryFind (fun f -> not (f.Contains "/shared/Microsoft."))
             | _ -> None)

    let private libraryPath = typeof<SpawnerThread>.Assembly.Location

    let private runtimeConfig =
        lazy
            (let own = Path.ChangeExtension(libraryPath, ".runtimeconfig.json")

             match appDepsFile.Value with
             | Some deps ->
                 let appConfig = deps.Replace(".deps.json", ".runtimeconfig.json")
                 if File.Exists appConfig then appConfig else own
             | None -> own)

    /// util-linux's setpriv arms PR_SET_PDEATHSIG *before* exec (it survives exec), closing the
    /// window in which a parent killed during the child's .NET start-up would leave it orphaned
    /// (the child arms it again itself, and checks getppid, as a backstop). What remains, a
    /// parent killed between the fork and setpriv's prctl, the root's group kill covers (below).
    let private setpriv =
        lazy ([ "/usr/bin/setpriv"; "/bin/setpriv" ] |> List.tryFind File.Exists)

    /// The ways of running an application whose actors can start.
    [<Literal>]
    let SupportedWays =
        "Supported: the build output (`dotnet run`, `dotnet build` then `dotnet <app>.dll` or the app's executable), "
        + "or a framework-dependent `dotnet publish` without PublishSingleFile."

    /// Why this application cannot start child actors, if it cannot: a child is `dotnet exec` of
    /// Tractor.FSharp.dll, so both must be files on disk.
    let private unsupported =
        lazy
            (if String.IsNullOrEmpty libraryPath then
                 Some(
                     "Tractor cannot start an actor from a single-file application: a child actor runs the actor host "
                     + "Tractor.FSharp.dll, which a single-file bundle does not keep as a file. "
                     + SupportedWays
                 )
             elif not (File.Exists dotnetHost.Value) then
                 Some(
                     $"Tractor cannot start an actor: no dotnet host at {dotnetHost.Value} (a self-contained application has none; "
                     + "DOTNET_HOST_PATH can name one). "
                     + SupportedWays
                 )
             else
                 None)

    /// The program and arguments that start a child actor named `name`.
    let build (name: string) : string * string list =
        match unsupported.Value with
        | Some reason -> raise (NotSupportedException reason)
        | None -> ()

        let depsArgs =
            match appDepsFile.Value with
            | Some deps -> [ "--depsfile"; deps ]
            | None -> []

        let dotnetArgs =
            [ "exec"; "--runtimeconfig"; runtimeConfig.Value ] @ depsArgs @ [ libraryPath; ActorArgument; name ]

        match setpriv.Value with
        | Some sp -> sp, [ "--pdeathsig"; "KILL"; "--"; dotnetHost.Value ] @ dotnetArgs
        | None -> dotnetHost.Value, dotnetArgs

/// A child actor's OS process, seen from its parent. Its standard input is the child's
/// lifeline: the parent writes the bootstrap line there and keeps the pipe open; when the
/// parent dies (even by SIGKILL) the child reads end-of-file and exits. The child also inherits
/// its end of the socket pair that is its channel to the parent (`channelFd`, the same number
/// in both processes).
///
/// A child that leads a process group (the root's children: `leadsGroup`) takes its whole
/// subtree with it: once it has exited, the rest of its group is SIGKILLed before `Exited`
/// completes. That closes the one gap PDEATHSIG leaves: a process forked by an actor that dies
/// before the new process has armed its parent-death signal (setpriv, before exec) is orphaned
/// with nothing armed, and its own parent check runs only once .NET has started (seconds when
/// the cores are starved). Such a process is still in the group it was forked into (actors
/// below the root never leave it), so the kill reaches it at once, at any depth, and the root
/// nursery cannot return while it lives. The group's id stays reserved while any member is
/// alive; once empty, the kill finds nothing (a pid is not reused before the counter wraps).
type internal ChildProcess private (proc: Process, name: string, leadsGroup: bool, pooled: bool) =
    let pid = proc.Id
    let mutable exitCode = 0

    let exited =
        task {
            do! proc.WaitForExitAsync()
            exitCode <- proc.ExitCode

            if leadsGroup then
                Native.killGroup pid Native.SIGKILL |> ignore
        }
        :> Task

    /// Starts a child actor process (from the spawner thread) and writes its bootstrap line.
    /// Takes `channelFd`: the child inherits it, and this process's copy is closed once the child
    /// has started (or failed to), so the parent end sees end-of-file when the child dies.
    /// `pooled`: started ahead by a warm pool (its name is then the pool's placeholder, not an actor's).
    static member Start(name: string, bootstrapLine: string, channelFd: int, leadsGroup: bool, ?extraEnvironment: (string * string) list, ?pooled: bool) : Task<ChildProcess> =
        task {
            let program, args = ChildCommand.build name
            let psi = ProcessStartInfo(program, UseShellExecute = false, RedirectStandardInput = true)

            for a in args do
                psi.ArgumentList.Add a

            for k, v in defaultArg extraEnvironment [] do
                psi.Environment[k] <- v

            SpawnTrace.mark "parent.starting"
            // Inheritable only for this start: every spawn runs on the spawner thread, so no other
            // child of ours inherits it (a process the application starts on another thread at
            // this very moment could; ChildActor aborts the channel once the child has exited).
            let! proc =
                SpawnerThread.Instance.Run(fun () ->
                    try
                        Native.inheritAcrossExec channelFd
                        Process.Start psi
                    finally
                        Native.close channelFd)
            SpawnTrace.mark "parent.started"
            let child = new ChildProcess(proc, name, leadsGroup, defaultArg pooled false)

            try
                do! proc.StandardInput.WriteLineAsync bootstrapLine
                do! proc.StandardInput.FlushAsync()
                SpawnTrace.mark "parent.bootstrap-sent"
            with :? IOException ->
                () // the child died at once; its exit is observed through Exited

            return child
        }

    /// The actor name the process was started for (a warm pool's placeholder for a pooled one).
    member _.Name = name
    /// Whether a warm pool started it ahead of its actor.
    member _.Pooled = pooled
    /// The OS process id.
    member _.Pid = pid
    /// Completes when the process has exited and been reaped.
    member _.Exited: Task = exited
    /// Whether the process has exited.
    member _.HasExited = exited.IsCompleted
    /// The exit code (valid once exited; 128+n after signal n).
    member _.ExitCode = exitCode
    /// Sends a POSIX signal to the process; false if it is already gone.
    member _.Signal(signal: int) = (not exited.IsCompleted) && Native.kill pid signal

    /// Closes the lifeline: the child sees end-of-file on its standard input.
    member _.CloseLifeline() =
        try
            proc.StandardInput.Close()
        with _ ->
            ()

    interface IDisposable with
        member this.Dispose() =
            this.CloseLifeline()
            proc.Dispose()
