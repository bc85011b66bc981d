namespace TractorNet.Ipc

open System

/// How serious an IPC log line is.
type IpcLogLevel =
    | Debug = 0
    | Information = 1
    | Warning = 2
    | Error = 3

/// The IPC layer's logging hook: where it says why it closed a connection or refused a peer.
/// Deliberately tiny (no package dependency); adapt it to `ILogger` with a one-line class.
[<AllowNullLiteral>]
type IIpcLog =
    /// Writes one log line.
    abstract Log: level: IpcLogLevel * message: string -> unit

/// Ready-made logs.
[<AbstractClass; Sealed>]
type IpcLog =
    /// Writes warnings and errors to standard error, prefixed with the process id.
    static member val StandardError: IIpcLog =
        { new IIpcLog with
            member _.Log(level, message) =
                if level >= IpcLogLevel.Warning then
                    Console.Error.WriteLine $"[tractor ipc {Environment.ProcessId}] {level}: {message}" }

    /// Discards everything.
    static member val None: IIpcLog = { new IIpcLog with member _.Log(_, _) = () }
