/// Helpers shared by the IPC tests: temporary addresses, connected channel pairs, a log that
/// records what it is told.
module TractorNet.Tests.IpcSupport

open System
open System.Collections.Concurrent
open System.Threading.Tasks
open TractorNet
open TractorNet.Ipc

/// A log that keeps every line, for asserting on reasons.
type CollectingLog() =
    let lines = ConcurrentQueue<LogLevel * string>()
    member _.Lines = lines |> Seq.toList
    member _.Contains(fragment: string) = lines |> Seq.exists (fun (_, m) -> m.Contains fragment)

    interface ILog with
        member _.Log(level, message) = lines.Enqueue((level, message))

/// A generous bound that only catches hangs.
let hangGuard = TimeSpan.FromSeconds 20.0

let await (t: Task) = t.WaitAsync(hangGuard).GetAwaiter().GetResult()
let awaitValue (t: Task<'T>) = t.WaitAsync(hangGuard).GetAwaiter().GetResult()

/// Waits (bounded by the hang guard) until `condition` holds, for effects another party
/// produces asynchronously (a log line the server writes); false if it never did.
let eventually (condition: unit -> bool) =
    let deadline = DateTime.UtcNow + hangGuard
    let mutable ok = condition ()
    while not ok && DateTime.UtcNow < deadline do
        Threading.Thread.Sleep 10
        ok <- condition ()
    ok

/// A fresh Unix socket address in the per-user directory.
let freshUds () = UnixSocketDirectory.newAddress "test"

/// A TCP loopback address on a free port.
let anyTcp = IpcAddress.Tcp("127.0.0.1", 0)

/// The address kinds every transport-independent test runs on.
let addressKinds = [| "uds"; "tcp" |]

let addressFor kind = if kind = "uds" then freshUds () else anyTcp

/// Listens at `address`, connects to it and returns (listener, client connection, server connection).
let connectedPair (address: IpcAddress) =
    let listener = Transport.Listen address
    let accept = listener.AcceptAsync(Threading.CancellationToken.None).AsTask()
    let client = awaitValue (Transport.ConnectAsync(listener.Address, TimeSpan.FromSeconds 5.0))
    let server = awaitValue accept
    listener, client, server

/// Two channels joined by a real socket: (listener, client channel, server channel).
let channelPair (kind: string) (options: ChannelOptions) =
    let listener, c, s = connectedPair (addressFor kind)
    listener, new Channel(c, options), new Channel(s, options)

/// Receives every remaining frame (copied) until the clean end of stream.
let receiveAll (ch: Channel) =
    task {
        let frames = ResizeArray<byte[]>()
        let mutable go = true
        while go do
            let! more = ch.ReceiveAsync()
            if more then frames.Add(ch.Current.ToArray()) else go <- false
        return frames
    }
