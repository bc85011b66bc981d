namespace TractorNet.Ipc

open System.Threading
open System.Threading.Tasks

/// <summary>The connecting side: connect, then handshake.</summary>
[<AbstractClass; Sealed>]
type IpcClient =
    /// <summary>
    /// Connects to <paramref name="address"/> and runs the handshake as the connector; returns the
    /// authenticated channel (<c>channel.Peer</c> is the server's identity). Connecting and the
    /// handshake are each bounded by <c>handshake.Timeout</c>.
    /// </summary>
    static member ConnectAsync(address: IpcAddress, handshake: HandshakeOptions, channelOptions: ChannelOptions, cancellationToken: CancellationToken) : Task<Channel> =
        task {
            let! connection = Transport.ConnectAsync(address, handshake.Timeout, cancellationToken)
            TractorNet.SpawnTrace.mark "connected"
            let channel = new Channel(connection, channelOptions)
            let! _ = Handshake.RunAsync(channel, HandshakeRole.Connector, handshake)
            return channel
        }

    /// <summary>Connects with default channel options.</summary>
    static member ConnectAsync(address: IpcAddress, handshake: HandshakeOptions) : Task<Channel> =
        IpcClient.ConnectAsync(address, handshake, ChannelOptions.Default, CancellationToken.None)
