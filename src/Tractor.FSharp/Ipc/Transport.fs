namespace TractorNet.Ipc

open System
open System.Net.Sockets
open System.Threading
open System.Threading.Tasks

/// One established byte-stream connection (full duplex). Channels build framing on top.
type IConnection =
    inherit IDisposable
    /// The local end's address (for logs).
    abstract LocalAddress: IpcAddress
    /// The remote end's address (for logs; a Unix socket's connecting side is unnamed).
    abstract RemoteAddress: IpcAddress
    /// Reads at most `buffer.Length` bytes; 0 means the peer closed its sending side.
    abstract ReceiveAsync: buffer: Memory<byte> * cancellationToken: CancellationToken -> ValueTask<int>
    /// Writes all of `data`.
    abstract SendAsync: data: ReadOnlyMemory<byte> * cancellationToken: CancellationToken -> ValueTask
    /// Closes the sending side (the peer reads end-of-stream); receiving goes on.
    abstract ShutdownSend: unit -> unit

/// Accepts connections at a bound address.
type IListener =
    inherit IDisposable
    /// The bound address (a TCP port 0 is replaced by the port the system chose).
    abstract Address: IpcAddress
    /// Waits for the next connection. Throws `ObjectDisposedException` once the listener is closed.
    abstract AcceptAsync: cancellationToken: CancellationToken -> ValueTask<IConnection>

/// A way to carry connections (Unix domain sockets, TCP...), chosen by the address's scheme.
type ITransport =
    /// The address scheme this transport serves ("uds", "tcp").
    abstract Scheme: string
    /// Binds and listens at `address`.
    abstract Listen: address: IpcAddress -> IListener
    /// Connects to `address`, failing with `ConnectException` after `timeout`.
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
