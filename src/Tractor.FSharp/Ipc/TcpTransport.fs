namespace TractorNet.Ipc

open System
open System.Net
open System.Net.Sockets
open System.Threading.Tasks

module internal TcpTuning =
    /// No Nagle (the channel batches), and keepalive probes so a vanished host is noticed in
    /// about 45 s instead of never.
    let apply (s: Socket) =
        s.NoDelay <- true
        try
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true)
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30)
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 5)
            s.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3)
        with :? SocketException ->
            ()

/// A listening TCP socket.
type internal TcpListener(socket: Socket, address: IpcAddress) =
    static let addressOf (ep: EndPoint) =
        match ep with
        | :? IPEndPoint as ip -> IpcAddress.Tcp(ip.Address.ToString(), ip.Port)
        | other -> IpcAddress.Tcp(string other, 0)

    interface IListener with
        member _.Address = address

        member _.AcceptAsync ct =
            SocketPlumbing.accept socket ct (fun s ->
                TcpTuning.apply s

                match TlsSettings.current () with
                | Some tls -> TlsConnection.Accepted(s, tls, address, addressOf s.RemoteEndPoint)
                | None -> new SocketConnection(s, address, addressOf s.RemoteEndPoint) :> IConnection)

        member _.Dispose() = socket.Dispose()

/// <summary>
/// TCP: for actors on other hosts. Listening on port 0 binds a free port; the listener's
/// <c>Address</c> reports it. Nagle is off: frames are already batched by the channel. With
/// TRACTOR_TLS_CERT set, every connection runs inside TLS (see docs/discovery.md).
/// </summary>
type TcpTransport() =
    static let resolve (address: IpcAddress) : Task<IPEndPoint> =
        match address with
        | IpcAddress.Tcp(host, port) ->
            match IPAddress.TryParse host with
            | true, ip -> Task.FromResult(IPEndPoint(ip, port))
            | _ ->
                task {
                    let! ips =
                        try
                            Dns.GetHostAddressesAsync host
                        with e ->
                            Task.FromException<IPAddress[]> e
                    match ips |> Array.tryFind (fun ip -> ip.AddressFamily = AddressFamily.InterNetwork) |> Option.orElse (Array.tryHead ips) with
                    | Some ip -> return IPEndPoint(ip, port)
                    | None -> return raise (ConnectException $"host '{host}' of {address} has no address")
                }
        | other -> invalidArg "address" $"the TCP transport cannot use {other}"

    /// <summary>The shared instance.</summary>
    static member val Instance = TcpTransport()

    interface ITransport with
        member _.Scheme = "tcp"

        member _.Listen address =
            // A TLS setting that cannot be loaded fails here, where the caller sees it.
            TlsSettings.current () |> ignore
            let ep =
                try
                    (resolve address).GetAwaiter().GetResult()
                with
                | :? SocketException as e -> raise (IpcException($"cannot listen at {address}: {SocketPlumbing.describe e}", e))
            let socket = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            try
                socket.Bind ep
                socket.Listen 512
            with e ->
                socket.Dispose()
                match e with
                | :? SocketException as se -> raise (IpcException($"cannot listen at {address}: {SocketPlumbing.describe se}", se))
                | _ -> reraise ()
            let bound = socket.LocalEndPoint :?> IPEndPoint
            new TcpListener(socket, IpcAddress.Tcp(bound.Address.ToString(), bound.Port)) :> IListener

        member _.ConnectAsync(address, timeout, ct) =
            task {
                let! ep =
                    task {
                        try
                            return! resolve address
                        with :? SocketException as e ->
                            return raise (ConnectException($"cannot connect to {address}: {SocketPlumbing.describe e}", e))
                    }
                let socket = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                TcpTuning.apply socket
                do! SocketPlumbing.connect socket ep address timeout ct
                let local = socket.LocalEndPoint :?> IPEndPoint
                let localAddress = IpcAddress.Tcp(local.Address.ToString(), local.Port)

                match TlsSettings.current () with
                | Some tls ->
                    let host =
                        match address with
                        | IpcAddress.Tcp(host, _) -> host
                        | _ -> ""

                    return! TlsConnection.ConnectedAsync(socket, tls, host, localAddress, address, ct)
                | None -> return new SocketConnection(socket, localAddress, address) :> IConnection
            }
