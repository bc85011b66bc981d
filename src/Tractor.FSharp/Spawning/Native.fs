/// The few libc calls the spawner and the child bootstrap need (Linux). The assembly disables
/// runtime marshalling, so these are blittable and ReadyToRun-compiled (a marshalling stub would
/// be generated and JIT-compiled at first use, ~1-3 ms each in a starting child); errno is read
/// with `Marshal.GetLastSystemError` right after a call reports failure.
module internal TractorNet.Spawning.Native

#nowarn "9" // pointers to pinned arrays and locals are passed to libc

open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop

[<Literal>]
let SIGINT = 2

[<Literal>]
let SIGKILL = 9

[<Literal>]
let SIGTERM = 15

[<Literal>]
let private PR_SET_PDEATHSIG = 1

[<DllImport("libc", EntryPoint = "prctl")>]
extern int private prctl(int option, unativeint arg2, unativeint arg3, unativeint arg4, unativeint arg5)

[<DllImport("libc", EntryPoint = "kill")>]
extern int private sys_kill(int pid, int signal)

[<DllImport("libc", EntryPoint = "getppid")>]
extern int getppid()

[<DllImport("libc", EntryPoint = "setsid")>]
extern int private sys_setsid()

/// Asks the kernel to send `signal` to this process when its parent thread exits.
let setParentDeathSignal (signal: int) =
    if System.OperatingSystem.IsLinux() then
        prctl (PR_SET_PDEATHSIG, unativeint signal, 0un, 0un, 0un) = 0
    else
        false

/// Sends a signal; false when the process no longer exists.
let kill (pid: int) (signal: int) = sys_kill (pid, signal) = 0

/// Makes this process the leader of a new session and process group (whose id is its pid), which
/// every process it starts from then on inherits; false if it failed (already a group leader).
let newSession () = sys_setsid () <> -1

/// Sends a signal to every process of process group `group`; false when the group is empty.
let killGroup (group: int) (signal: int) = group > 1 && sys_kill (-group, signal) = 0

[<Literal>]
let private AF_UNIX = 1

[<Literal>]
let private SOCK_STREAM = 1

[<Literal>]
let private SOCK_CLOEXEC = 0x80000

[<Literal>]
let private F_SETFD = 2

[<Literal>]
let private FD_CLOEXEC = 1

[<DllImport("libc", EntryPoint = "socketpair")>]
extern int private sys_socketpair(int domain, int kind, int protocol, nativeint fds)

[<DllImport("libc", EntryPoint = "fcntl")>]
extern int private sys_fcntl(int fd, int command, int arg)

[<DllImport("libc", EntryPoint = "read")>]
extern nativeint private sys_read(int fd, nativeint buffer, unativeint count)

[<DllImport("libc", EntryPoint = "close")>]
extern int private sys_close(int fd)

let private check (call: string) (result: int) =
    if result <> 0 then
        raise (System.ComponentModel.Win32Exception(Marshal.GetLastSystemError(), $"{call} failed"))

/// A connected pair of Unix stream sockets, both close-on-exec.
let socketPair () : int * int =
    let fds = Array.zeroCreate<int> 2
    use p = fixed fds
    sys_socketpair (AF_UNIX, SOCK_STREAM ||| SOCK_CLOEXEC, 0, NativePtr.toNativeInt p) |> check "socketpair"
    fds[0], fds[1]

/// Lets `fd` survive exec (clears close-on-exec).
let inheritAcrossExec (fd: int) =
    sys_fcntl (fd, F_SETFD, 0) |> check "fcntl(F_SETFD)"

/// Makes `fd` close on exec again (a child's inherited channel, which its own children must not
/// inherit in turn).
let closeOnExec (fd: int) =
    sys_fcntl (fd, F_SETFD, FD_CLOEXEC) |> check "fcntl(F_SETFD)"

/// Closes a raw descriptor.
let close (fd: int) = sys_close fd |> ignore

[<Literal>]
let private EINTR = 4

/// Reads one line (up to a newline, which is dropped, or end of file) from descriptor `fd` one
/// byte at a time, so nothing after it is consumed; null at end of file with nothing read.
/// UTF-8. (A child reads its bootstrap line so, before any stream type is loaded.)
let readLine (fd: int) : string =
    let mutable bytes = Array.zeroCreate<byte> 256
    let mutable count = 0
    let mutable go = true
    let mutable eof = false

    while go do
        if count = bytes.Length then
            System.Array.Resize(&bytes, 2 * bytes.Length)

        let n =
            use p = fixed &bytes[count]
            sys_read (fd, NativePtr.toNativeInt p, 1un)

        if n = 1n then
            if bytes[count] = 10uy then go <- false else count <- count + 1
        elif n = 0n then
            eof <- true
            go <- false
        else
            let errno = Marshal.GetLastSystemError()
            if errno <> EINTR then raise (System.ComponentModel.Win32Exception(errno, "read failed"))

    if eof && count = 0 then
        null
    else
        match TractorNet.Wire.AsciiText.tryDecode (System.ReadOnlySpan(bytes, 0, count)) with
        | null -> System.Text.Encoding.UTF8.GetString(bytes, 0, count)
        | ascii -> ascii
