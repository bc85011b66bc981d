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

/// One log line and where it came from: what travels from a child to the root when the root hands its
/// records to an ILoggerFactory.
type internal LogEntry =
    { /// UTC ticks when it was written.
      Ticks: int64
      Level: LogLevel
      Actor: string
      Pid: int
      Message: string
      /// The ILogger category: the layer that wrote it (`TractorNet.Runtime`, `TractorNet.Discovery`...), or
      /// `TractorNet` for lines of the application's own.
      Category: string
      /// The actor's unique id.
      Uid: string }

/// The structured state of one record given to an ILogger: Actor, Uid and Pid as properties (Serilog and
/// friends keep them), the text naming its actor.
[<Sealed>]
type private LogState(entry: LogEntry) =
    static let keys = [| "Actor"; "Uid"; "Pid"; "Time"; "Message"; "{OriginalFormat}" |]

    member _.Text = $"[{entry.Actor} {entry.Pid}] {entry.Message}"

    interface System.Collections.Generic.IReadOnlyList<System.Collections.Generic.KeyValuePair<string, obj>> with
        member _.Count = keys.Length

        member this.Item
            with get i =
                let v: obj =
                    match i with
                    | 0 -> entry.Actor
                    | 1 -> entry.Uid
                    | 2 -> entry.Pid
                    | 3 -> DateTime(entry.Ticks, DateTimeKind.Utc)
                    | 4 -> entry.Message
                    | 5 -> "[{Actor} {Pid}] {Message}"
                    | _ -> raise (ArgumentOutOfRangeException "index")

                System.Collections.Generic.KeyValuePair(keys[i], v)

        member this.GetEnumerator() : System.Collections.Generic.IEnumerator<System.Collections.Generic.KeyValuePair<string, obj>> =
            let self = this :> System.Collections.Generic.IReadOnlyList<_>
            (Seq.init keys.Length (fun i -> self[i])).GetEnumerator()

        member this.GetEnumerator() : System.Collections.IEnumerator =
            ((this :> System.Collections.Generic.IEnumerable<System.Collections.Generic.KeyValuePair<string, obj>>).GetEnumerator()) :> _

    override this.ToString() = this.Text

/// Writes records to an application's ILoggerFactory, one logger per category (the layer that wrote the
/// record). Its own type, so that the logging abstractions load only for a root that uses them.
[<Sealed>]
type private LoggerFactorySink(factory: Microsoft.Extensions.Logging.ILoggerFactory) =
    let loggers = System.Collections.Concurrent.ConcurrentDictionary<string, Microsoft.Extensions.Logging.ILogger>()

    static let level (l: LogLevel) =
        match l with
        | LogLevel.Trace -> Microsoft.Extensions.Logging.LogLevel.Trace
        | LogLevel.Debug -> Microsoft.Extensions.Logging.LogLevel.Debug
        | LogLevel.Info -> Microsoft.Extensions.Logging.LogLevel.Information
        | LogLevel.Warning -> Microsoft.Extensions.Logging.LogLevel.Warning
        | LogLevel.Error -> Microsoft.Extensions.Logging.LogLevel.Error
        | _ -> Microsoft.Extensions.Logging.LogLevel.None

    static let format = Func<LogState, exn, string>(fun s _ -> s.Text)

    member _.Write(e: LogEntry) =
        let l = level e.Level
        let logger = loggers.GetOrAdd(e.Category, (fun c -> factory.CreateLogger c))

        if logger.IsEnabled l then
            logger.Log(l, Microsoft.Extensions.Logging.EventId 0, LogState e, null, format)

/// <summary>
/// Per-actor logging: every line carries the actor's name and pid. The level is set on the root
/// (<c>Log.setLevel</c>, or the TRACTOR_LOG environment variable) and inherited by every child unless a child is
/// spawned with its own. Lines go to standard error, unless the root hands them to the application's logging with
/// <c>Log.useLoggerFactory</c>: then the records of every actor of the tree travel to the root and land there.
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
    let mutable private actorUid = ""
    let private gate = obj ()

    // Where records go: null = standard error. Set by useLoggerFactory at the root, by the runtime in a child that
    // forwards to its parent; a plain field (records written while it changes go to the old or the new sink).
    let mutable private sink: Action<LogEntry> = null

    /// <summary>The current process's log level.</summary>
    let current () = level

    /// <summary>Sets this actor's log level (children spawned afterwards inherit it).</summary>
    let setLevel (l: LogLevel) = level <- l

    /// Sets the actor name shown on every line and the uid in its records (the runtime does this at start).
    let internal setActor (name: string, uid: string) =
        actorName <- name
        actorUid <- uid

    /// The actor name shown on this process's lines.
    let internal actor () = actorName

    /// <summary>Whether a message at <paramref name="l"/> would be written.</summary>
    let isEnabled (l: LogLevel) = l >= level && l <> LogLevel.None

    let private toStandardError (e: LogEntry) =
        let time = DateTime(e.Ticks, DateTimeKind.Utc).ToString "HH:mm:ss.fff"
        let line = $"{time} [{e.Actor} {e.Pid}] {e.Level.ToString().ToUpperInvariant()}: {e.Message}"
        lock gate (fun () -> Console.Error.WriteLine line)

    /// Hands one record (this actor's, or a child's) to the sink.
    let internal emit (e: LogEntry) =
        match sink with
        | null -> toStandardError e
        | s -> s.Invoke e

    /// Sends records somewhere else than standard error (null: back to standard error).
    let internal setSink (s: Action<LogEntry>) = sink <- s

    /// Whether this actor's records leave standard error: its children then send theirs up to it.
    let internal forwardsChildren () = not (isNull sink)

    /// Writes one line of `category` at level `l`.
    let internal writeIn (category: string) (l: LogLevel) (message: string) =
        if isEnabled l then
            emit
                { Ticks = DateTime.UtcNow.Ticks
                  Level = l
                  Category = category
                  Actor = actorName
                  Uid = actorUid
                  Pid = Environment.ProcessId
                  Message = message }

    /// The category of lines written through this module: the application's (the runtime's layers use LayerLog).
    [<Literal>]
    let internal ApplicationCategory = "TractorNet"

    /// <summary>Writes one line at level <paramref name="l"/>.</summary>
    let write (l: LogLevel) (message: string) = writeIn ApplicationCategory l message

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

    /// <summary>
    /// Hands this actor's log records, and those of every actor it spawns from now on (children, grandchildren...),
    /// to <paramref name="factory"/> (Serilog, the console provider, anything): call it at the root, before spawning.
    /// The runtime's own lines are in the category of the layer that wrote them (<c>TractorNet.Runtime</c>,
    /// <c>TractorNet.Discovery</c>, <c>TractorNet.Ipc</c>...), lines written with this module in <c>TractorNet</c>. Children send their records to the root over the tree's own channels, batched
    /// and bounded; a child never waits for it, and records it had to drop are counted and reported as a warning.
    /// Each record names its actor (the <c>Actor</c>, <c>Uid</c> and <c>Pid</c> properties, and the text). The level filter
    /// (<c>setLevel</c>, TRACTOR_LOG) applies first, then the factory's own.
    /// </summary>
    /// <param name="factory">The application's logger factory.</param>
    [<CompiledName("UseLoggerFactory")>]
    let useLoggerFactory (factory: Microsoft.Extensions.Logging.ILoggerFactory) =
        if isNull factory then
            nullArg (nameof factory)

        let s = LoggerFactorySink factory
        sink <- Action<LogEntry>(s.Write)

    /// <summary>Writes this actor's records to standard error again (the default), and those of actors spawned
    /// from now on.</summary>
    [<CompiledName("UseStandardError")>]
    let useStandardError () = sink <- null

    /// <summary>This process's log as an <see cref="T:TractorNet.ILog"/>: lines go where <c>Log.write</c>'s go
    /// (standard error by default) with the actor's name, filtered by the level <c>setLevel</c> (or TRACTOR_LOG) set.</summary>
    [<CompiledName("StandardError")>]
    let standardError: ILog = { new ILog with member _.Log(l, m) = writeIn "TractorNet.Ipc" l m }

    /// <summary>A log that discards everything.</summary>
    [<CompiledName("None")>]
    let none: ILog = { new ILog with member _.Log(_, _) = () }

/// The runtime's own lines, each in the ILogger category of the layer (source folder) that wrote it:
/// `TractorNet.Runtime`, `TractorNet.Discovery`, ... (the compiler passes the calling file's path).
[<AbstractClass; Sealed>]
type internal LayerLog =
    static let categories = System.Collections.Concurrent.ConcurrentDictionary<string, string>()

    /// `TractorNet.<folder>` for a file of src/Tractor.FSharp/<folder>/, else `TractorNet`.
    static member internal CategoryOf(file: string) : string =
        categories.GetOrAdd(
            file,
            fun (path: string) ->
                let parts = path.Replace('\\', '/').Split('/')
                let root = Array.LastIndexOf(parts, "Tractor.FSharp")

                if root >= 0 && root < parts.Length - 2 then
                    "TractorNet." + parts[root + 1]
                else
                    "TractorNet"
        )

    static member private Write(l: LogLevel, message: string, file: string option) =
        if Log.isEnabled l then
            Log.writeIn (LayerLog.CategoryOf(defaultArg file "")) l message

    static member Debug(message: string, [<System.Runtime.CompilerServices.CallerFilePath>] ?file: string) = LayerLog.Write(LogLevel.Debug, message, file)
    static member Info(message: string, [<System.Runtime.CompilerServices.CallerFilePath>] ?file: string) = LayerLog.Write(LogLevel.Info, message, file)
    static member Warn(message: string, [<System.Runtime.CompilerServices.CallerFilePath>] ?file: string) = LayerLog.Write(LogLevel.Warning, message, file)
    static member Error(message: string, [<System.Runtime.CompilerServices.CallerFilePath>] ?file: string) = LayerLog.Write(LogLevel.Error, message, file)
