/// The few libc calls the spawner and the child bootstrap need (Linux).
module internal TractorNet.Spawning.Native

open System.Runtime.InteropServices

[<Literal>]
let SIGINT = 2

[<Literal>]
let SIGKILL = 9

[<Literal>]
let SIGTERM = 15

[<Literal>]
let private PR_SET_PDEATHSIG = 1

[<DllImport("libc", SetLastError = true, EntryPoint = "prctl")>]
extern int private prctl(int option, unativeint arg2, unativeint arg3, unativeint arg4, unativeint arg5)

[<DllImport("libc", SetLastError = true, EntryPoint = "kill")>]
extern int private sys_kill(int pid, int signal)

[<DllImport("libc", EntryPoint = "getppid")>]
extern int getppid()

/// Asks the kernel to send `signal` to this process when its parent thread exits.
let setParentDeathSignal (signal: int) =
    if System.OperatingSystem.IsLinux() then
        prctl (PR_SET_PDEATHSIG, unativeint signal, 0un, 0un, 0un) = 0
    else
        false

/// Sends a signal; false when the process no longer exists.
let kill (pid: int) (signal: int) = sys_kill (pid, signal) = 0

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

[<DllImport("libc", SetLastError = true, EntryPoint = "socketpair")>]
extern int private sys_socketpair(int domain, int kind, int protocol, int[] fds)

[<DllImport("libc", SetLastError = true, EntryPoint = "fcntl")>]
extern int private sys_fcntl(int fd, int command, int arg)

[<DllImport("libc", SetLastError = true, EntryPoint = "close")>]
extern int private sys_close(int fd)

let private check (call: string) (result: int) =
    if result <> 0 then
        raise (System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError(), $"{call} failed"))

/// A connected pair of Unix stream sockets, both close-on-exec.
let socketPair () : int * int =
    let fds = Array.zeroCreate<int> 2

    sys_socketpair (AF_UNIX, SOCK_STREAM ||| SOCK_CLOEXEC, 0, fds) |> check "socketpair"

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
