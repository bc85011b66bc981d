namespace TractorNet.Ipc

open System
open System.Net.Security
open System.Net.Sockets
open System.Security.Authentication
open System.Threading
open System.Threading.Tasks

/// A TCP connection inside a TLS session (SslStream). Reads and writes wait for the TLS
/// handshake first: an accepting side starts it at accept time without holding up the accept
/// loop, and a stalled peer is cut by the cookie handshake's own timeout (which disposes us).
type internal TlsConnection private (socket: Socket, ssl: SslStream, authenticated: Task, local: IpcAddress, remote: IpcAddress) =
    static let validation (settings: TlsSettings.Settings) =
        RemoteCertificateValidationCallback(fun _ certificate _ errors -> TlsSettings.trusts settings certificate errors)

    /// Wraps an accepted socket and starts the server side of the TLS handshake.
    static member Accepted(socket: Socket, settings: TlsSettings.Settings, local: IpcAddress, remote: IpcAddress) : IConnection =
        let ssl = new SslStream(new NetworkStream(socket, true), false)

        let options =
            SslServerAuthenticationOptions(
                ServerCertificate = settings.Certificate,
                ClientCertificateRequired = true,
                RemoteCertificateValidationCallback = validation settings
            )

        let authenticated =
            task {
                try
                    do! ssl.AuthenticateAsServerAsync(options, CancellationToken.None)
                with e ->
                    return raise (TlsSettings.failure remote e)
            }

        new TlsConnection(socket, ssl, authenticated, local, remote)

    /// Wraps a connected socket and completes the client side of the TLS handshake.
    static member ConnectedAsync
        (socket: Socket, settings: TlsSettings.Settings, host: string, local: IpcAddress, remote: IpcAddress, ct: CancellationToken)
        : Task<IConnection> =
        task {
            let ssl = new SslStream(new NetworkStream(socket, true), false)

            let options =
                SslClientAuthenticationOptions(
                    TargetHost = host,
                    // Chosen explicitly: the automatic choice drops a self-signed certificate that
                    // the server's list of acceptable issuers does not name.
                    LocalCertificateSelectionCallback = LocalCertificateSelectionCallback(fun _ _ _ _ _ -> settings.Certificate),
                    RemoteCertificateValidationCallback = validation settings
                )

            try
                do! ssl.AuthenticateAsClientAsync(options, ct)
            with e ->
                ssl.Dispose()
                raise (TlsSettings.failure remote e)

            return new TlsConnection(socket, ssl, Task.CompletedTask, local, remote) :> IConnection
        }

    interface IConnection with
        member _.LocalAddress = local
        member _.RemoteAddress = remote

        member _.ReceiveAsync(buffer, ct) =
            if authenticated.IsCompletedSuccessfully then
                ssl.ReadAsync(buffer, ct)
            else
                ValueTask<int>(
                    task {
                        do! authenticated
                        return! ssl.ReadAsync(buffer, ct)
                    }
                )

        member _.SendAsync(data, ct) =
            if authenticated.IsCompletedSuccessfully then
                ssl.WriteAsync(data, ct)
            else
                ValueTask(
                    task {
                        do! authenticated
                        do! ssl.WriteAsync(data, ct)
                    }
                    :> Task
                )

        member _.ShutdownSend() =
            // close_notify first, so the peer reads a clean end of the TLS stream.
            try
                if authenticated.IsCompletedSuccessfully then
                    ssl.ShutdownAsync().Wait(TimeSpan.FromSeconds 1.0) |> ignore

                socket.Shutdown SocketShutdown.Send
            with
            | :? AggregateException
            | :? AuthenticationException
            | :? IO.IOException
            | :? SocketException
            | :? ObjectDisposedException -> ()

        member _.Dispose() = ssl.Dispose()
