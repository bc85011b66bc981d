/// A program run in a real pseudo-terminal, driven like pexpect: wait for text to appear, type
/// lines, press Ctrl-C. The program is a session leader with the terminal as its controlling
/// one, so Ctrl-C reaches it as SIGINT through the terminal driver, as from a user's keyboard.
namespace TractorNet.Testing

open System
open System.Diagnostics
open System.Runtime.InteropServices
open System.Text
open System.Text.RegularExpressions
open System.Threading

module private Pty =
    [<DllImport("libc", SetLastError = true)>]
    extern int posix_openpt(int flags)

    [<DllImport("libc", SetLastError = true)>]
    extern int grantpt(int fd)

    [<DllImport("libc", SetLastError = true)>]
    extern int unlockpt(int fd)

    [<DllImport("libc", SetLastError = true)>]
    extern int ptsname_r(int fd, byte[] buffer, unativeint length)

    [<DllImport("libc", SetLastError = true)>]
    extern nativeint read(int fd, byte[] buffer, unativeint count)

    [<DllImport("libc", SetLastError = true)>]
    extern nativeint write(int fd, byte[] buffer, unativeint count)

    [<DllImport("libc", SetLastError = true)>]
    extern int close(int fd)

    let O_RDWR = 2
    let O_NOCTTY = 0o400

    let check what (r: int) =
        if r < 0 then
            raise (ComponentModel.Win32Exception(Marshal.GetLastPInvokeError(), $"{what} failed"))

        r

/// A program running in a new pseudo-terminal.
[<AllowNullLiteral>]
type PseudoTerminal private (master: int, proc: Process) =
    let output = StringBuilder()
    let gate = obj ()
    // Guarded by `gate`: how far Expect has consumed `output`, and whether the terminal closed.
    let mutable cursor = 0
    let mutable closed = false
    static let ansi = Regex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r", RegexOptions.Compiled)

    let reader =
        Thread(
            (fun () ->
                let buffer = Array.zeroCreate<byte> 4096
                let decoder = Encoding.UTF8.GetDecoder()
                let chars = Array.zeroCreate<char> 8192
                let mutable go = true

                while go do
                    let n = int (Pty.read (master, buffer, unativeint buffer.Length))

                    if n > 0 then
                        let c = decoder.GetChars(buffer, 0, n, chars, 0)

                        lock gate (fun () ->
                            output.Append(chars, 0, c) |> ignore
                            Monitor.PulseAll gate)
                    elif n < 0 && Marshal.GetLastPInvokeError() = 4 then
                        () // EINTR
                    else
                        // EIO: every descriptor of the terminal's other side is closed.
                        lock gate (fun () ->
                            closed <- true
                            Monitor.PulseAll gate)

                        go <- false),
            IsBackground = true,
            Name = "pty reader"
        )

    do reader.Start()

    /// Starts `program args` in a new session whose controlling terminal is a new pseudo-terminal
    /// (standard input, output and error all on it), with SIGINT at its default disposition.
    static member Start(program: string, args: string seq, environment: (string * string) seq) =
        let master = Pty.posix_openpt (Pty.O_RDWR ||| Pty.O_NOCTTY) |> Pty.check "posix_openpt"
        Pty.grantpt master |> Pty.check "grantpt" |> ignore
        Pty.unlockpt master |> Pty.check "unlockpt" |> ignore
        let name = Array.zeroCreate<byte> 128
        Pty.ptsname_r (master, name, unativeint name.Length) |> Pty.check "ptsname_r" |> ignore
        let slave = Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, 0uy))
        // sh opens the terminal as standard input/output/error; setsid makes a new session and
        // takes it as the controlling terminal (-c); env gives SIGINT its default disposition
        // back (a test run started in the background inherits it ignored).
        let psi = ProcessStartInfo("sh", UseShellExecute = false)
        psi.ArgumentList.Add "-c"
        psi.ArgumentList.Add "exec setsid -w -c env --default-signal=INT \"$@\" <>\"$TRACTOR_PTY\" >&0 2>&0"
        psi.ArgumentList.Add "sh"
        psi.ArgumentList.Add program

        for a in args do
            psi.ArgumentList.Add a

        psi.Environment["TRACTOR_PTY"] <- slave
        psi.Environment["TERM"] <- "dumb"

        for k, v in environment do
            psi.Environment[k] <- v

        new PseudoTerminal(master, Process.Start psi)

    /// Starts a .NET program (`dotnet <dll> args`).
    static member StartDotnet(dll: string, args: string seq) =
        PseudoTerminal.Start("dotnet", Seq.append [ dll ] args, Seq.empty)

    /// The process (setsid, which waits for the program).
    member _.Process = proc

    /// Everything the terminal showed so far, escape sequences and carriage returns removed.
    member _.Output = lock gate (fun () -> ansi.Replace(output.ToString(), ""))

    /// Waits until `pattern` (a regular expression) appears after what the last Expect consumed;
    /// returns the text before the match and consumes up to its end. Fails with the whole output
    /// when `timeout` passes or the terminal closes first.
    member this.Expect(pattern: string) = this.Expect(pattern, TimeSpan.FromSeconds 60.0)

    /// `Expect` with its own bound.
    member this.Expect(pattern: string, timeout: TimeSpan) : string =
        let regex = Regex pattern
        let deadline = DateTime.UtcNow + timeout

        lock gate (fun () ->
            let rec attempt () =
                let text = ansi.Replace(output.ToString(), "")
                let m = regex.Match(text, min cursor text.Length)

                if m.Success then
                    let before = text.Substring(cursor, m.Index - cursor)
                    cursor <- m.Index + m.Length
                    before
                elif closed then
                    failwith $"the terminal closed before /{pattern}/ appeared; it showed:\n{text}"
                else
                    let left = deadline - DateTime.UtcNow

                    if left <= TimeSpan.Zero then
                        failwith $"/{pattern}/ did not appear within {timeout}; the terminal showed:\n{text}"

                    Monitor.Wait(gate, left) |> ignore
                    attempt ()

            attempt ())

    /// Waits until the terminal closes (the program and everything it started on it ended);
    /// returns what came after the last Expect.
    member _.ExpectEnd() : string =
        let deadline = DateTime.UtcNow + TimeSpan.FromSeconds 60.0

        lock gate (fun () ->
            while not closed && DateTime.UtcNow < deadline do
                Monitor.Wait(gate, deadline - DateTime.UtcNow) |> ignore

            let text = ansi.Replace(output.ToString(), "")

            if not closed then
                failwith $"the program did not end; the terminal showed:\n{text}"

            text.Substring(min cursor text.Length))

    /// The program's exit code, waiting for it (bounded).
    member _.ExitCode() =
        if not (proc.WaitForExit(TimeSpan.FromSeconds 60.0)) then
            failwith "the program did not exit"

        proc.ExitCode

    /// Types `text`.
    member _.Send(text: string) =
        let bytes = Encoding.UTF8.GetBytes text
        Pty.write (master, bytes, unativeint bytes.Length) |> int |> Pty.check "write" |> ignore

    /// Types `line` and Enter.
    member this.SendLine(line: string) = this.Send(line + "\n")

    /// Presses Ctrl-C: the terminal driver sends SIGINT to the foreground process group.
    member this.SendControlC() = this.Send "\u0003"

    interface IDisposable with
        member _.Dispose() =
            if not proc.HasExited then
                try
                    // The session's processes: the program and whatever it started in its group.
                    Process.Start("pkill", [| "-KILL"; "-s"; string proc.Id |]).WaitForExit()
                    proc.Kill true
                with _ ->
                    ()

                proc.WaitForExit(10000) |> ignore

            Pty.close master |> ignore
