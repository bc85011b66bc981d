namespace TractorNet.Ipc

open System.Threading
open System.Threading.Tasks

/// The connecting side: connect, then handshake.
[<AbstractClass; Sealed>]
type IpcClient =
    /// Connects to `address` and runs the handshake as the connector; returns the
    /// authenticated channel (`channel.Peer` is the server's identity). Connecting and the
    /// handshake are each bounded by `handshake.Timeout`.
    static member ConnectAsync(address: IpcAddress, handshake: HandshakeOptions, channelOptions: ChannelOptions, cancellationToken: CancellationToken) : Task<Channel> =
        task {
            let! connection = Transport.ConnectAsync(address, handshake.Timeout, cancellationToken)
            TractorNet.Spawning.SpawnTrace.mark "connected"
            let channel = new Channel(connection, channelOptions)
            let! _ = Handshake.RunAsync(channel, HandshakeRole.Connector, handshake)
            return channel
        }

    /// Connects with default channel options.
    static member ConnectAsync(address: IpcAddress, handshake: HandshakeOptions) : Task<Channel> =
        IpcClient.ConnectAsync(address, handshake, ChannelOptions.Default, CancellationToken.None)
