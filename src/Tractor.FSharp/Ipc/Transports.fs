namespace TractorNet.Ipc

open System
open System.Runtime.InteropServices
open System.Threading
open System.Threading.Tasks

/// <summary>Picks the transport for an address's scheme.</summary>
[<AbstractClass; Sealed>]
type Transport =
    /// <summary>The default connect timeout: 5 seconds.</summary>
    static member DefaultConnectTimeout = TimeSpan.FromSeconds 5.0

    /// <summary>The transport serving <paramref name="address"/>'s scheme.</summary>
    static member For(address: IpcAddress) : ITransport =
        match address with
        | IpcAddress.Uds _ -> UdsTransport.Instance
        | IpcAddress.Tcp _ -> TcpTransport.Instance

    /// <summary>Binds and listens at <paramref name="address"/>.</summary>
    static member Listen(address: IpcAddress) : IListener = (Transport.For address).Listen address

    /// <summary>
    /// Connects to <paramref name="address"/> within <paramref name="timeout"/>; <see cref="T:TractorNet.Ipc.ConnectException"/> says why it failed.
    /// </summary>
    static member ConnectAsync(address: IpcAddress, timeout: TimeSpan, [<Optional>] cancellationToken: CancellationToken) : Task<IConnection> =
        (Transport.For address).ConnectAsync(address, timeout, cancellationToken)

    /// <summary>Connects to <paramref name="address"/> within the default timeout.</summary>
    static member ConnectAsync(address: IpcAddress) : Task<IConnection> =
        Transport.ConnectAsync(address, Transport.DefaultConnectTimeout, CancellationToken.None)
