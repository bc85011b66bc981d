namespace TractorNet.Ipc

open System
open System.Runtime.InteropServices
open System.Threading
open System.Threading.Tasks

/// Picks the transport for an address's scheme.
[<AbstractClass; Sealed>]
type Transport =
    /// The default connect timeout: 5 seconds.
    static member DefaultConnectTimeout = TimeSpan.FromSeconds 5.0

    /// The transport serving `address`'s scheme.
    static member For(address: IpcAddress) : ITransport =
        match address with
        | IpcAddress.Uds _ -> UdsTransport.Instance
        | IpcAddress.Tcp _ -> TcpTransport.Instance

    /// Binds and listens at `address`.
    static member Listen(address: IpcAddress) : IListener = (Transport.For address).Listen address

    /// Connects to `address` within `timeout`; `ConnectException` says why it failed.
    static member ConnectAsync(address: IpcAddress, timeout: TimeSpan, [<Optional>] cancellationToken: CancellationToken) : Task<IConnection> =
        (Transport.For address).ConnectAsync(address, timeout, cancellationToken)

    /// Connects to `address` within the default timeout.
    static member ConnectAsync(address: IpcAddress) : Task<IConnection> =
        Transport.ConnectAsync(address, Transport.DefaultConnectTimeout, CancellationToken.None)
