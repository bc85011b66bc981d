namespace TractorNet.Ipc

open System
open System.Net.Sockets
open System.Threading
open System.Threading.Tasks

/// <summary>One established byte-stream connection (full duplex). Channels build framing on top.</summary>
type IConnection =
    inherit IDisposable
    /// <summary>The local end's address (for logs).</summary>
    abstract LocalAddress: IpcAddress
    /// <summary>The remote end's address (for logs; a Unix socket's connecting side is unnamed).</summary>
    abstract RemoteAddress: IpcAddress
    /// <summary>Reads at most <c>buffer.Length</c> bytes; 0 means the peer closed its sending side.</summary>
    abstract ReceiveAsync: buffer: Memory<byte> * cancellationToken: CancellationToken -> ValueTask<int>
    /// <summary>Writes all of <paramref name="data"/>.</summary>
    abstract SendAsync: data: ReadOnlyMemory<byte> * cancellationToken: CancellationToken -> ValueTask
    /// <summary>Closes the sending side (the peer reads end-of-stream); receiving goes on.</summary>
    abstract ShutdownSend: unit -> unit

/// <summary>Accepts connections at a bound address.</summary>
type IListener =
    inherit IDisposable
    /// <summary>The bound address (a TCP port 0 is replaced by the port the system chose).</summary>
    abstract Address: IpcAddress
    /// <summary>
    /// Waits for the next connection. Throws <c>ObjectDisposedException</c> once the listener is closed.
    /// </summary>
    abstract AcceptAsync: cancellationToken: CancellationToken -> ValueTask<IConnection>

/// <summary>A way to carry connections (Unix domain sockets, TCP...), chosen by the address's scheme.</summary>
type ITransport =
    /// <summary>The address scheme this transport serves ("uds", "tcp").</summary>
    abstract Scheme: string
    /// <summary>Binds and listens at <paramref name="address"/>.</summary>
    abstract Listen: address: IpcAddress -> IListener
    /// <summary>
    /// Connects to <paramref name="address"/>, failing with <see cref="T:TractorNet.Ipc.ConnectException"/> after <paramref name="timeout"/>.
    /// </summary>
    abstract ConnectAsync: address: IpcAddress * timeout: TimeSpan * cancellationToken: CancellationToken -> Task<IConnection>

/// A connection over a connected stream socket (both transports use it, and a spawned actor's
/// channel to its parent: one end of a socket pair, which has no address).
type internal SocketConnection(socket: Socket, local: IpcAddress, remote: IpcAddress) =
    member _.Socket = socket

    /// A connection over the connected socket descriptor `fd` (which it then owns); the
    /// names stand in for addresses in logs and errors.
    static member OfDescriptor(fd: int, localName: string, remoteName: string) =
        let socket = new Socket(new SafeSocketHandle(nativeint fd, true))
        new SocketConnection(socket, IpcAddress.Uds localName, IpcAddress.Uds remoteName)

    interface IConnection with
        member _.LocalAddress = local
        member _.RemoteAddress = remote
        member _.ReceiveAsync(buffer, ct) = socket.ReceiveAsync(buffer, SocketFlags.None, ct)

        member _.SendAsync(data, ct) =
            // Socket.SendAsync sends everything before completing (it loops on partial writes).
            let vt = socket.SendAsync(data, SocketFlags.None, ct)
            if vt.IsCompletedSuccessfully then
                vt.Result |> ignore
                ValueTask.CompletedTask
            else
                ValueTask(vt.AsTask() :> Task)

        member _.ShutdownSend() =
            try
                socket.Shutdown SocketShutdown.Send
            with
            | :? SocketException
            | :? ObjectDisposedException -> ()

        member _.Dispose() = socket.Dispose()
