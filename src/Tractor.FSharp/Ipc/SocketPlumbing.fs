namespace TractorNet.Ipc

open System
open System.Net
open System.Net.Sockets
open System.Threading
open System.Threading.Tasks

/// Shared socket plumbing of the Unix-socket and TCP transports.
module internal SocketPlumbing =
    let describe (e: SocketException) =
        match e.SocketErrorCode with
        | SocketError.ConnectionRefused -> "connection refused (nobody listens there)"
        | SocketError.AddressNotAvailable -> "no such socket (nobody listens there)"
        | SocketError.AccessDenied -> "permission denied"
        | SocketError.HostNotFound
        | SocketError.NoData -> "host not found"
        | SocketError.NetworkUnreachable
        | SocketError.HostUnreachable -> "unreachable"
        | code -> $"{code} ({e.Message})"

    /// Connects `socket` to `endpoint` within `timeout`; errors name the address.
    let connect (socket: Socket) (endpoint: EndPoint) (address: IpcAddress) (timeout: TimeSpan) (ct: CancellationToken) =
        task {
            use cts = CancellationTokenSource.CreateLinkedTokenSource ct
            cts.CancelAfter timeout
            let mutable ok = false
            try
                try
                    do! socket.ConnectAsync(endpoint, cts.Token)
                    ok <- true
                with
                | :? OperationCanceledException when not ct.IsCancellationRequested ->
                    raise (ConnectException $"timed out after {timeout.TotalSeconds:g} s connecting to {address}")
                | :? SocketException as e -> raise (ConnectException($"cannot connect to {address}: {describe e}", e))
            finally
                if not ok then socket.Dispose()
        }

    /// Connects a Unix-domain socket: synchronously when the listener has room, which a local
    /// connect either does at once or refuses (no round trip, no timer, no async machinery, all
    /// of which a new actor would pay for at start-up); else (backlog full) like `connect`.
    let connectLocal (socket: Socket) (endpoint: EndPoint) (address: IpcAddress) (timeout: TimeSpan) (ct: CancellationToken) : Task =
        ct.ThrowIfCancellationRequested()
        socket.Blocking <- false

        let immediate =
            try
                socket.Connect endpoint
                true
            with
            | :? SocketException as e when e.SocketErrorCode = SocketError.WouldBlock || e.SocketErrorCode = SocketError.InProgress ->
                false
            | :? SocketException as e ->
                socket.Dispose()
                raise (ConnectException($"cannot connect to {address}: {describe e}", e))

        if immediate then Task.CompletedTask else connect socket endpoint address timeout ct

    /// Accepts one connection, turning "the listener was closed" into ObjectDisposedException.
    let accept (socket: Socket) (ct: CancellationToken) (wrap: Socket -> IConnection) =
        let vt = socket.AcceptAsync ct
        if vt.IsCompletedSuccessfully then
            ValueTask<IConnection>(wrap vt.Result)
        else
            ValueTask<IConnection>(
                task {
                    try
                        let! s = vt
                        return wrap s
                    with :? SocketException as e when e.SocketErrorCode = SocketError.OperationAborted || e.SocketErrorCode = SocketError.Interrupted ->
                        return raise (ObjectDisposedException("listener", "the listener was closed"))
                }
            )
