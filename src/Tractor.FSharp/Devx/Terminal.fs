namespace TractorNet.Devx

open System
open System.IO
open System.Runtime.InteropServices
open System.Text
open System.Threading
open System.Threading.Tasks

module private Tty =
    [<DllImport("libc", EntryPoint = "isatty")>]
    extern int isatty(int fd)

/// What a REPL reads from and writes to: the root's own terminal, or (in any other actor) the
/// root's terminal reached over IPC.
type internal ITerminal =
    /// Writes text (no newline added).
    abstract Write: text: string -> unit
    /// Prints `prompt` and reads one line; null at end of input.
    abstract ReadLine: prompt: string -> Task<string>

/// The root's terminal: standard output, and standard input read on a thread of its own, in the
/// terminal's canonical mode (the terminal edits the line; Ctrl-C discards it). Only the lock's
/// holder reads, one line at a time.
type internal LocalTerminal private () =
    static let output = Console.OpenStandardOutput()
    static let gate = obj ()
    // The prompt of the read in progress (null when none), guarded by `gate`: Ctrl-C reprints it.
    static let mutable prompt: string = null
    // The read in progress, guarded by `gate`. A REPL whose actor died leaves its read behind: the
    // next REPL takes it over instead of starting a second reader of the same terminal.
    static let mutable reading: Task<string> = null

    static let write (text: string) =
        lock gate (fun () ->
            let bytes = Encoding.UTF8.GetBytes text
            output.Write(bytes, 0, bytes.Length)
            output.Flush())

    static member val Instance = LocalTerminal()

    /// Whether standard input is a terminal (else a pause says so and continues).
    static member IsInteractive = Tty.isatty 0 = 1

    /// Ctrl-C while a REPL is open: says it is ignored and reprints the prompt.
    member _.Interrupted(message: string) =
        let p = lock gate (fun () -> prompt)
        write ("\n" + message + "\n" + (if isNull p then "" else p))

    interface ITerminal with
        member _.Write text = write text

        member _.ReadLine(p: string) =
            write p

            lock gate (fun () ->
                prompt <- p

                if isNull reading || reading.IsCompleted then
                    reading <-
                        Task.Factory.StartNew(
                            (fun () ->
                                try
                                    TractorNet.Spawning.Native.readLine 0
                                finally
                                    lock gate (fun () -> prompt <- null)),
                            CancellationToken.None,
                            TaskCreationOptions.LongRunning,
                            TaskScheduler.Default
                        )

                reading)
