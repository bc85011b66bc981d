namespace TractorNet.Ipc

#nowarn "9" // pinned buffers are passed to recv/send as pointers

open System
open System.IO
open System.Runtime.InteropServices
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop
open Microsoft.Win32.SafeHandles

/// The libc socket calls a descriptor connection makes (Linux numbering).
module internal SocketCalls =
    [<DllImport("libc", EntryPoint = "recv")>]
    extern nativeint recv(int fd, nativeint buffer, unativeint length, int flags)

    [<DllImport("libc", EntryPoint = "send")>]
    extern nativeint send(int fd, nativeint buffer, unativeint length, int flags)

    [<DllImport("libc", EntryPoint = "shutdown")>]
    extern int shutdown(int fd, int how)

    /// poll(2) over `nfds` pollfd structs (int fd; short events; short revents).
    [<DllImport("libc", EntryPoint = "poll")>]
    extern int poll(nativeint fds, unativeint nfds, int timeout)

    let POLLIN = 1L

    [<DllImport("libc", EntryPoint = "close")>]
    extern int close(int fd)

    let CLOCK_MONOTONIC = 1
    let TFD_CLOEXEC = 0x80000

    [<DllImport("libc", EntryPoint = "timerfd_create")>]
    extern int timerfd_create(int clockid, int flags)

    /// itimerspec: interval (sec, nsec) then value (sec, nsec), four int64s.
    [<DllImport("libc", EntryPoint = "timerfd_settime")>]
    extern int timerfd_settime(int fd, int flags, nativeint newValue, nativeint oldValue)

    [<DllImport("libc", EntryPoint = "read")>]
    extern nativeint read(int fd, nativeint buffer, unativeint count)

    let EINTR = 4
    let EAGAIN = 11
    let MSG_DONTWAIT = 0x40
    let MSG_NOSIGNAL = 0x4000
    let SHUT_WR = 1
    let SHUT_RDWR = 2

    let failure (call: string) (errno: int) =
        IOException($"{call}: {Marshal.GetPInvokeErrorMessage errno}", errno)

/// A connection over an inherited, connected Unix stream socket descriptor (which it then owns),
/// using plain blocking socket calls rather than System.Net.Sockets. A child actor takes up its
/// channel to its parent with it: the socket stack's first use (its event loop, telemetry and
/// option queries) costs a new process ~20 ms, on the path to its first call.
///
/// Receiving first tries a non-blocking read, which is all a busy channel needs; when no bytes
/// are there, the connection's reader thread (waiting in poll(2)) reads them once they arrive
/// and completes the wait, running its continuation itself (see "Leader and follower" below). Sending writes on the caller's thread, blocking only while the peer's
/// socket buffer is full. The descriptor must be in blocking mode (as `socketpair` makes it).
[<Sealed>]
type internal DescriptorConnection(fd: int, localName: string, remoteName: string) =
    let handle = new SafeFileHandle(nativeint fd, true)
    let local = IpcAddress.Uds localName
    let remote = IpcAddress.Uds remoteName
    let wait = ReusableWait<int>(RunContinuationsAsynchronously = true)
    let gate = obj ()
    // Guarded by gate: the buffer of the receive waiting for the reader thread.
    let mutable request = Memory<byte>()
    let mutable requested = false
    let mutable disposed = false
    let mutable reader: Thread = null
    // Leader and follower. The reader thread runs a received frame's continuation itself (the
    // peer's receive loop, and the call or reply it hands off) instead of queueing it to the
    // thread pool: that hop was the gap between a portal call and a raw round trip. So that a
    // continuation that blocks (user code) never stops the reads that carry its cancellation, a
    // follower thread parks on a timer the reader arms for the length of the continuation; if it
    // fires before the continuation returns, the follower takes over the reads and the reader
    // becomes the follower once it returns. A quick continuation costs two timerfd_settime calls
    // and no wake-up. The follower and its timer are made on the first frame; the last of the
    // two threads to end closes the timer.
    let roles = obj ()
    // Under roles: the timer (-1 before the follower exists and once closed), whether a follower
    // parks on it, whether the reader runs a continuation, whether the follower took over meanwhile.
    let mutable timer = -1
    let mutable followerIdle = false
    let mutable inlineRunning = false
    let mutable tookOver = false
    let mutable follower: Thread = null
    let mutable threads = 0

    /// Arms the timer to fire in `ns` nanoseconds (0 disarms it).
    let arm (fd: int) (ns: int64) =
        let spec = NativePtr.stackalloc<int64> 4 // struct itimerspec: no interval, then the value
        NativePtr.set spec 0 0L
        NativePtr.set spec 1 0L
        NativePtr.set spec 2 (ns / 1_000_000_000L)
        NativePtr.set spec 3 (ns % 1_000_000_000L)
        SocketCalls.timerfd_settime (fd, 0, NativePtr.toNativeInt spec, 0n) |> ignore

    /// How long a continuation runs on the reader thread before the follower takes over the reads.
    let patienceNs = 200_000L

    /// A reader or follower thread ends; the last one closes the timer.
    let threadEnds () =
        lock roles (fun () ->
            threads <- threads - 1

            if threads = 0 && timer >= 0 then
                SocketCalls.close timer |> ignore
                timer <- -1)

    /// One recv into `buffer`: bytes read (0 at end of stream), or -1 for EAGAIN under DONTWAIT.
    /// The descriptor is kept open for the call (a concurrent Dispose closes it only afterwards).
    let receive (buffer: Memory<byte>) (flags: int) : int =
        use pin = buffer.Pin()
        let mutable added = false
        let mutable result = -2

        try
            handle.DangerousAddRef &added

            while result = -2 do
                let n = SocketCalls.recv (fd, NativePtr.toNativeInt (NativePtr.ofVoidPtr<byte> pin.Pointer), unativeint buffer.Length, flags)

                if n >= 0n then
                    result <- int n
                else
                    match Marshal.GetLastSystemError() with
                    | e when e = SocketCalls.EINTR -> ()
                    | e when e = SocketCalls.EAGAIN && flags = SocketCalls.MSG_DONTWAIT -> result <- -1
                    | e -> raise (SocketCalls.failure "recv" e)
        finally
            if added then handle.DangerousRelease()

        result

    /// shutdown(2) of one or both directions; errors (a peer already gone) do not matter here.
    let shutdown (how: int) =
        let mutable added = false

        try
            try
                handle.DangerousAddRef &added
                SocketCalls.shutdown (fd, how) |> ignore
            with :? ObjectDisposedException ->
                ()
        finally
            if added then handle.DangerousRelease()

    /// The next receive for the reader thread; ValueNone once disposed (a receive still waiting
    /// then fails as disposed).
    let nextRequest () : Memory<byte> voption =
        lock gate (fun () ->
            while not requested && not disposed do
                Monitor.Wait gate |> ignore

            if disposed then
                if requested then
                    requested <- false
                    wait.RunContinuationsAsynchronously <- true
                    wait.SetException(ObjectDisposedException(nameof DescriptorConnection))

                ValueNone
            else
                ValueSome request)

    /// Blocks until the socket has bytes to read, has ended or failed (recv then says which).
    let waitReadable () =
        let mutable added = false

        try
            try
                handle.DangerousAddRef &added
                // One pollfd: fd in the low 32 bits, events = POLLIN next (little-endian).
                let fds = NativePtr.stackalloc<int64> 1
                NativePtr.write fds (int64 (uint32 fd) ||| (SocketCalls.POLLIN <<< 32))
                let mutable again = true

                while again do
                    let n = SocketCalls.poll (NativePtr.toNativeInt fds, 1un, -1)
                    again <- n < 0 && Marshal.GetLastSystemError() = SocketCalls.EINTR
            with :? ObjectDisposedException ->
                ()
        finally
            if added then handle.DangerousRelease()

    /// The reader thread: waits in poll(2) until bytes arrive, then serves the receive that waits
    /// for them. Waiting for the socket first, rather than for a receive to be asked for, means a
    /// receive that goes asynchronous costs no wake-up of this thread: in a ping-pong the request
    /// is made before the answer arrives, and the answer's arrival is the only wake-up, as with
    /// the socket engine's epoll. Bytes that arrive while no receive waits stay in the socket for
    /// the next receive's own non-blocking read.
    /// Parks on the timer until it fires while the reader runs a continuation (true: read now),
    /// or the connection is disposed (false).
    let rec follow () : bool =
        let fd = lock roles (fun () -> timer)
        let fds = NativePtr.stackalloc<int64> 1 // one pollfd: the timer, POLLIN
        NativePtr.write fds (int64 (uint32 fd) ||| (SocketCalls.POLLIN <<< 32))
        let expirations = NativePtr.stackalloc<int64> 1
        let mutable result = ValueNone

        while result.IsNone do
            SocketCalls.poll (NativePtr.toNativeInt fds, 1un, -1) |> ignore
            SocketCalls.read (fd, NativePtr.toNativeInt expirations, 8un) |> ignore

            lock roles (fun () ->
                if disposed then
                    followerIdle <- false
                    result <- ValueSome false
                elif inlineRunning && not tookOver then
                    tookOver <- true
                    followerIdle <- false
                    result <- ValueSome true)

        result.Value

    and readLoop () =
        let mutable go = true

        while go do
            waitReadable ()

            match nextRequest () with
            | ValueNone -> go <- false
            | ValueSome buffer ->
                let outcome =
                    try
                        Ok(receive buffer SocketCalls.MSG_DONTWAIT)
                    with e ->
                        Error e

                match outcome with
                | Ok -1 -> () // the bytes were read before the receive was asked for: wait again
                | _ ->
                    lock gate (fun () ->
                        requested <- false
                        request <- Memory<byte>())

                    let inlined =
                        match outcome with
                        | Ok n when n > 0 ->
                            lock roles (fun () ->
                                if followerIdle && not inlineRunning then
                                    inlineRunning <- true
                                    true
                                else
                                    false)
                        | _ -> false

                    if inlined then
                        let fd = lock roles (fun () -> timer)
                        arm fd patienceNs
                        wait.RunContinuationsAsynchronously <- false
                        wait.SetResult(match outcome with Ok n -> n | _ -> 0)
                        arm fd 0L

                        let follows =
                            lock roles (fun () ->
                                inlineRunning <- false

                                if tookOver then
                                    tookOver <- false
                                    followerIdle <- true
                                    true
                                else
                                    false)

                        if follows then
                            go <- follow ()
                    else
                        if isNull follower then
                            let made =
                                lock roles (fun () ->
                                    if disposed then
                                        false
                                    else
                                        timer <- SocketCalls.timerfd_create (SocketCalls.CLOCK_MONOTONIC, SocketCalls.TFD_CLOEXEC)
                                        followerIdle <- timer >= 0
                                        threads <- threads + 1
                                        true)

                            if made then
                                follower <-
                                    Thread(
                                        (fun () ->
                                            try
                                                if timer >= 0 && follow () then
                                                    readLoop ()
                                            finally
                                                threadEnds ()),
                                        IsBackground = true,
                                        Name = "tractor-channel"
                                    )

                                follower.Start()

                        wait.RunContinuationsAsynchronously <- true

                        match outcome with
                        | Ok n -> wait.SetResult n
                        | Error e -> wait.SetException e

    /// Hands `buffer` to the reader thread (started on first need).
    let receiveSlow (buffer: Memory<byte>) : ValueTask<int> =
        let version = wait.Reset()

        lock gate (fun () ->
            if disposed then
                raise (ObjectDisposedException(nameof DescriptorConnection))

            request <- buffer
            requested <- true

            if isNull reader then
                lock roles (fun () -> threads <- threads + 1)

                reader <-
                    Thread(
                        (fun () ->
                            try
                                readLoop ()
                            finally
                                threadEnds ()),
                        IsBackground = true,
                        Name = "tractor-channel"
                    )

                reader.Start()
            else
                Monitor.Pulse gate)

        wait.Task version

    interface IConnection with
        member _.LocalAddress = local
        member _.RemoteAddress = remote

        member _.ReceiveAsync(buffer, _cancellationToken) =
            match receive buffer SocketCalls.MSG_DONTWAIT with
            | -1 -> receiveSlow buffer
            | n -> ValueTask<int> n

        member _.SendAsync(data, _cancellationToken) =
            use pin = data.Pin()
            let start = NativePtr.toNativeInt (NativePtr.ofVoidPtr<byte> pin.Pointer)
            let mutable added = false
            let mutable sent = 0

            try
                handle.DangerousAddRef &added

                while sent < data.Length do
                    let n = SocketCalls.send (fd, start + nativeint sent, unativeint (data.Length - sent), SocketCalls.MSG_NOSIGNAL)

                    if n >= 0n then
                        sent <- sent + int n
                    else
                        match Marshal.GetLastSystemError() with
                        | e when e = SocketCalls.EINTR -> ()
                        | e -> raise (SocketCalls.failure "send" e)
            finally
                if added then handle.DangerousRelease()

            ValueTask.CompletedTask

        member _.ShutdownSend() = shutdown SocketCalls.SHUT_WR

        member _.Dispose() =
            let first =
                lock gate (fun () ->
                    let first = not disposed
                    disposed <- true
                    Monitor.Pulse gate
                    first)

            // Wakes a parked follower, which sees the connection disposed.
            lock roles (fun () -> if timer >= 0 then arm timer 1L)

            if first then
                // Wakes a blocked read (it returns end of stream); the descriptor closes once no
                // call is using it.
                shutdown SocketCalls.SHUT_RDWR
                handle.Dispose()
