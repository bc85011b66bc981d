namespace TractorNet.Spawning

open System
open System.IO
open System.Runtime.InteropServices
open System.Threading
open System.Threading.Tasks

/// The child's side of zombie safety. Three independent signals that the parent is gone:
/// PR_SET_PDEATHSIG (the kernel kills us when the parent's spawner thread dies), end-of-file on
/// standard input (the parent's end of the pipe closed), and the parent channel breaking (the
/// runtime's own concern). Also turns SIGTERM into a graceful cancel and ignores SIGINT, which
/// the root handles for the whole tree. (For a parent that dies before PDEATHSIG is armed, the
/// root kills the process group of its child above: see ChildProcess.)
module internal Lifeline =
    /// Arms PDEATHSIG and checks the parent did not die before it was armed.
    let armParentDeathSignal (expectedParent: int) =
        Native.setParentDeathSignal Native.SIGKILL |> ignore

        if Native.getppid () <> expectedParent then
            // The parent died between fork and prctl: nobody will ever reap or signal us.
            Environment.Exit 70

    /// Kept for the life of the process (a collected registration unregisters itself).
    let mutable private signals: IDisposable list = []

    /// SIGTERM: `onTerminate` (graceful cancel, bounded by the caller). SIGINT: ignored.
    let private handleSignals (onTerminate: unit -> unit) =
        signals <-
            [ PosixSignalRegistration.Create(
                  PosixSignal.SIGTERM,
                  fun ctx ->
                      ctx.Cancel <- true
                      onTerminate ()
              )
              PosixSignalRegistration.Create(PosixSignal.SIGINT, fun ctx -> ctx.Cancel <- true) ]

    /// On a background thread (off the start path, whose every millisecond counts): handles
    /// SIGTERM and SIGINT as `handleSignals` says, then calls `onParentGone` when standard input
    /// reaches end-of-file (or fails).
    let watchParent (onParentGone: unit -> unit) (onTerminate: unit -> unit) =
        let t =
            Thread(
                (fun () ->
                    handleSignals onTerminate
                    let buffer = Array.zeroCreate<byte> 64

                    try
                        use stdin = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(nativeint 0, false), FileAccess.Read, 1)

                        while stdin.Read(buffer, 0, buffer.Length) > 0 do
                            ()
                    with _ ->
                        ()

                    onParentGone ()),
                IsBackground = true,
                Name = "tractor-lifeline"
            )

        t.Start()
