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
/// the root handles for the whole tree.
module internal Lifeline =
    /// Arms PDEATHSIG and checks the parent did not die before it was armed.
    let armParentDeathSignal (expectedParent: int) =
        Native.setParentDeathSignal Native.SIGKILL |> ignore

        if Native.getppid () <> expectedParent then
            // The parent died between fork and prctl: nobody will ever reap or signal us.
            Environment.Exit 70

    /// Calls `onParentGone` when standard input reaches end-of-file (or fails).
    let watchStandardInput (stdin: Stream) (onParentGone: unit -> unit) =
        let t =
            Thread(
                (fun () ->
                    let buffer = Array.zeroCreate<byte> 64

                    try
                        while stdin.Read(buffer, 0, buffer.Length) > 0 do
                            ()
                    with _ ->
                        ()

                    onParentGone ()),
                IsBackground = true,
                Name = "tractor-lifeline"
            )

        t.Start()

    /// SIGTERM: `onTerminate` (graceful cancel, bounded by the caller). SIGINT: ignored.
    let handleSignals (onTerminate: unit -> unit) : IDisposable list =
        [ PosixSignalRegistration.Create(
              PosixSignal.SIGTERM,
              fun ctx ->
                  ctx.Cancel <- true
                  onTerminate ()
          )
          PosixSignalRegistration.Create(PosixSignal.SIGINT, fun ctx -> ctx.Cancel <- true) ]
