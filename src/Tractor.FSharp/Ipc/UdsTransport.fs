namespace TractorNet.Ipc

open System
open System.IO
open System.Net.Sockets
open System.Threading

/// A listening Unix socket; closing it removes its socket file (if it is still ours).
type internal UdsListener(socket: Socket, address: IpcAddress, path: string, inode: uint64) =
    let mutable disposed = 0

    interface IListener with
        member _.Address = address

        member _.AcceptAsync ct =
            SocketPlumbing.accept socket ct (fun s -> new SocketConnection(s, address, IpcAddress.Uds "(peer)") :> IConnection)

        member _.Dispose() =
            if Interlocked.Exchange(&disposed, 1) = 0 then
                socket.Dispose()
                match Posix.lstat path with
                | Some f when f.Inode = inode && f.Kind = Posix.S_IFSOCK -> File.Delete path
                | _ -> ()

/// <summary>
/// Unix domain sockets: the default for actors on one host. Listening on a path whose socket
/// file is stale (nobody accepts there) replaces it; a live one is an "address in use" error.
/// </summary>
type UdsTransport() =
    static let pathOf (address: IpcAddress) =
        match address with
        | IpcAddress.Uds path -> path
        | other -> invalidArg "address" $"the Unix socket transport cannot use {other}"

    /// True if something accepts connections at `path` right now.
    static let isLive (path: string) =
        use probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        try
            probe.Connect(UnixDomainSocketEndPoint path)
            true
        with :? SocketException ->
            false

    /// <summary>The shared instance.</summary>
    static member val Instance = UdsTransport()

    interface ITransport with
        member _.Scheme = "uds"

        member _.Listen address =
            let path = pathOf address
            UnixSocketDirectory.checkLength path
            let dir = Path.GetDirectoryName path
            if dir = UnixSocketDirectory.path () then
                UnixSocketDirectory.ensure () |> ignore
            elif not (Directory.Exists dir) then
                raise (IpcException $"cannot listen at {address}: directory {dir} does not exist")

            match Posix.lstat path with
            | Some f when f.Kind = Posix.S_IFSOCK ->
                if isLive path then
                    raise (IpcException $"cannot listen at {address}: address in use (another process accepts connections there)")
                File.Delete path // stale: its listener died without cleaning up
            | Some _ -> raise (IpcException $"cannot listen at {address}: the path exists and is not a socket; refusing to replace it")
            | None -> ()

            let socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            try
                socket.Bind(UnixDomainSocketEndPoint path)
                socket.Listen 512
            with e ->
                socket.Dispose()
                match e with
                | :? SocketException as se -> raise (IpcException($"cannot listen at {address}: {SocketPlumbing.describe se}", se))
                | _ -> reraise ()
            let inode = (Posix.lstat path |> Option.map _.Inode |> Option.defaultValue 0UL)
            new UdsListener(socket, address, path, inode) :> IListener

        member _.ConnectAsync(address, timeout, ct) =
            let path = pathOf address
            task {
                if (Posix.lstat path).IsNone then
                    raise (ConnectException $"cannot connect to {address}: no socket file there (nobody listens)")
                let socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                do! SocketPlumbing.connectLocal socket (UnixDomainSocketEndPoint path) address timeout ct
                return new SocketConnection(socket, IpcAddress.Uds "(client)", address) :> IConnection
            }
