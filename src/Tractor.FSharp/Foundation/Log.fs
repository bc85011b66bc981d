namespace TractorNet

open System

/// <summary>Log levels, most verbose first.</summary>
type LogLevel =
    | Trace = 0
    | Debug = 1
    | Info = 2
    | Warning = 3
    | Error = 4
    | None = 5

/// <summary>
/// Where a layer writes what it wants known: why the IPC layer closed a connection or refused a
/// peer, what the actor runtime did. The one logging interface of every layer; deliberately tiny
/// (no package dependency), so adapting it to another logging library is a one-line class.
/// </summary>
[<AllowNullLiteral>]
type ILog =
    /// <summary>Writes one log line.</summary>
    /// <param name="level">How serious the line is.</param>
    /// <param name="message">The line.</param>
    abstract Log: level: LogLevel * message: string -> unit

/// <summary>
/// Per-actor logging to standard error: every line carries the actor's name and pid. The level
/// is set on the root (<c>Log.setLevel</c>, or the TRACTOR_LOG environment variable) and inherited
/// by every child unless a child is spawned with its own.
/// </summary>
module Log =
    // Set at start-up and by setLevel; a plain field (a stale read only mis-filters one line).
    let mutable private level =
        match Environment.GetEnvironmentVariable "TRACTOR_LOG" with
        | null
        | "" -> LogLevel.Warning
        | s ->
            match Enum.TryParse<LogLevel>(s, true) with
            | true, l -> l
            | _ -> LogLevel.Warning

    // Set once by the runtime at start, before the actor serves anything.
    let mutable private actorName = "root"
    let private gate = obj ()

    /// <summary>The current process's log level.</summary>
    let current () = level

    /// <summary>Sets this actor's log level (children spawned afterwards inherit it).</summary>
    let setLevel (l: LogLevel) = level <- l

    /// Sets the actor name shown on every line (the runtime does this at start).
    let internal setActor (name: string) = actorName <- name

    /// <summary>Whether a message at <paramref name="l"/> would be written.</summary>
    let isEnabled (l: LogLevel) = l >= level && l <> LogLevel.None

    /// <summary>Writes one line at level <paramref name="l"/>.</summary>
    let write (l: LogLevel) (message: string) =
        if isEnabled l then
            let time = DateTime.UtcNow.ToString "HH:mm:ss.fff"
            let line = $"{time} [{actorName} {Environment.ProcessId}] {l.ToString().ToUpperInvariant()}: {message}"

            lock gate (fun () -> Console.Error.WriteLine line)

    /// <summary>Writes one line at <see cref="F:TractorNet.LogLevel.Trace"/>.</summary>
    let trace m = write LogLevel.Trace m
    /// <summary>Writes one line at <see cref="F:TractorNet.LogLevel.Debug"/>.</summary>
    let debug m = write LogLevel.Debug m
    /// <summary>Writes one line at <see cref="F:TractorNet.LogLevel.Info"/>.</summary>
    let info m = write LogLevel.Info m
    /// <summary>Writes one line at <see cref="F:TractorNet.LogLevel.Warning"/>.</summary>
    let warn m = write LogLevel.Warning m
    /// <summary>Writes one line at <see cref="F:TractorNet.LogLevel.Error"/>.</summary>
    let error m = write LogLevel.Error m

    /// <summary>This process's log as an <see cref="T:TractorNet.ILog"/>: lines go to standard error with the
    /// actor's name, filtered by the level <c>setLevel</c> (or TRACTOR_LOG) set.</summary>
    [<CompiledName("StandardError")>]
    let standardError: ILog = { new ILog with member _.Log(l, m) = write l m }

    /// <summary>A log that discards everything.</summary>
    [<CompiledName("None")>]
    let none: ILog = { new ILog with member _.Log(_, _) = () }
