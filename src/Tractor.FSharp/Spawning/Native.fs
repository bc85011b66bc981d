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
