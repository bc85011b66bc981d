namespace TractorNet.Ipc

open System
open System.Collections.Concurrent
open System.Threading
open System.Threading.Tasks
open TractorNet

/// <summary>
/// Accepts connections on a listener, authenticates each with the handshake (concurrently, so a
/// silent peer delays nobody else) and hands every authenticated channel to <paramref name="onChannel"/>. A
/// connection that fails the handshake, breaks a frame rule or whose handler throws is closed
/// and logged; the server and the other connections stay up. The channel is disposed when
/// <paramref name="onChannel"/>'s task ends.
/// </summary>
[<Sealed>]
type IpcServer(listener: IListener, handshake: HandshakeOptions, channelOptions: ChannelOptions, onChannel: Func<Channel, Task>) =
    let channelOptions = if isNull channelOptions then ChannelOptions.Default else channelOptions
    let log = if isNull channelOptions.Log then Log.none else channelOptions.Log
    let stopping = new CancellationTokenSource()
    let live = ConcurrentDictionary<Channel, Task>()
    let mutable inHandshake = 0
    let mutable acceptLoop: Task = Task.CompletedTask
    let mutable started = 0

    /// <summary>Most connections allowed in the handshake at once; more are closed on arrival.</summary>
    member val MaxPendingHandshakes = 256 with get, set

    /// <summary>The address the server listens at.</summary>
    member _.Address = listener.Address

    /// <summary>Connections open right now (in the handshake or being served).</summary>
    member _.ConnectionCount = live.Count

    member private this.Serve(connection: IConnection) : Task =
        let channel = new Channel(connection, channelOptions)
        let work =
            task {
                do! Task.Yield()
                let mutable authenticated = false
                try
                    try
                        if Interlocked.Increment(&inHandshake) > this.MaxPendingHandshakes then
                            log.Log(LogLevel.Warning, $"too many connections in the handshake; closing the one from {connection.RemoteAddress}")
                        else
                            let! _ = Handshake.RunAsync(channel, HandshakeRole.Acceptor, handshake)
                            authenticated <- true
                    finally
                        Interlocked.Decrement(&inHandshake) |> ignore
                    if authenticated then
                        do! onChannel.Invoke channel
                with
                | :? HandshakeException -> () // logged by the handshake
                | :? IpcException as e when authenticated -> log.Log(LogLevel.Debug, $"connection with {channel.Peer} ended: {e.Message}")
                | e -> log.Log(LogLevel.Error, $"the handler for {channel.Peer} failed: {e}")
                do! channel.DisposeAsync()
            }
        live[channel] <- work
        work.ContinueWith(fun (_: Task) -> live.TryRemove channel |> ignore) |> ignore
        work

    member private this.AcceptLoop() : Task =
        task {
            let mutable go = true
            while go && not stopping.IsCancellationRequested do
                try
                    let! connection = listener.AcceptAsync stopping.Token
                    this.Serve connection |> ignore
                with
                | :? ObjectDisposedException
                | :? OperationCanceledException -> go <- false
                | e ->
                    // E.g. out of file descriptors: say so, breathe, keep serving.
                    log.Log(LogLevel.Error, $"accepting on {listener.Address} failed: {e.Message}")
                    do! Task.Delay 50
        }

    /// <summary>Starts accepting. Returns the server.</summary>
    member this.Start() =
        if Interlocked.Exchange(&started, 1) = 0 then
            acceptLoop <- this.AcceptLoop()
        this

    /// <summary>
    /// Stops accepting, closes every connection and waits for their handlers (bounded by the
    /// channels' close timeout).
    /// </summary>
    member this.DisposeAsync() : ValueTask =
        ValueTask(
            task {
                stopping.Cancel()
                listener.Dispose()
                try
                    do! acceptLoop
                with _ ->
                    ()
                for KeyValue(channel, _) in live do
                    channel.Abort(ChannelClosedException "the server is shutting down")
                let pending = live.Values |> Seq.toArray
                try
                    do! Task.WhenAll(pending).WaitAsync(channelOptions.CloseTimeout + TimeSpan.FromSeconds 1.0)
                with _ ->
                    ()
                stopping.Dispose()
            }
        )

    interface IAsyncDisposable with
        member this.DisposeAsync() = this.DisposeAsync()

    /// <summary>Listens at <paramref name="address"/> and starts serving.</summary>
    static member Start(address: IpcAddress, handshake: HandshakeOptions, channelOptions: ChannelOptions, onChannel: Func<Channel, Task>) =
        (new IpcServer(Transport.Listen address, handshake, channelOptions, onChannel)).Start()
