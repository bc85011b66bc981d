/// A child's channel end: plain socket calls on an inherited descriptor, tested over a real
/// socket pair against a System.Net.Sockets peer (what the parent holds).
module TractorNet.Tests.DescriptorConnectionTests

open System
open System.IO
open System.Net.Sockets
open System.Threading.Tasks
open NUnit.Framework
open TractorNet.Ipc
open TractorNet.Spawning
open TractorNet.Tests.TestSupport

/// A descriptor connection and the socket at the other end of its pair.
let private pair () =
    let mine, theirs = Native.socketPair ()
    let connection = new DescriptorConnection(mine, "(test)", "(peer)") :> IConnection
    let peer = new Socket(new SafeSocketHandle(nativeint theirs, true))
    connection, peer

let private receive (c: IConnection) (n: int) =
    let buffer = Array.zeroCreate<byte> n
    task {
        let! got = c.ReceiveAsync(Memory buffer, Threading.CancellationToken.None)
        return Array.sub buffer 0 got
    }

let ``bytes already there are received at once, without the reader thread`` () : Task =
    task {
        let c, peer = pair ()
        use _ = c
        use _ = peer
        peer.Send [| 1uy; 2uy; 3uy |] |> ignore
        let vt = c.ReceiveAsync(Memory(Array.zeroCreate<byte> 16), Threading.CancellationToken.None)
        Assert.That(vt.IsCompleted, Is.True, "a receive with bytes waiting completes synchronously")
        Assert.That(vt.Result, Is.EqualTo 3)
    }

let ``a receive waits for bytes that come later, and reads at most the buffer`` () : Task =
    task {
        let c, peer = pair ()
        use _ = c
        use _ = peer
        let pending = receive c 2
        Assert.That(pending.IsCompleted, Is.False, "nothing was sent yet")
        peer.Send [| 7uy; 8uy; 9uy |] |> ignore
        let! first = pending
        let! rest = receive c 16
        Assert.That(first, eq [| 7uy; 8uy |])
        Assert.That(rest, eq [| 9uy |])
    }

let ``sent bytes arrive in order, also more than the socket buffer holds`` () : Task =
    task {
        let c, peer = pair ()
        use _ = c
        use _ = peer
        let data = Array.init (4 * 1024 * 1024) (fun i -> byte (i % 251))
        // The peer reads concurrently: a send larger than the kernel's buffer blocks until it does.
        let reader =
            Task.Run(fun () ->
                let got = Array.zeroCreate<byte> data.Length
                let mutable n = 0
                while n < got.Length do
                    n <- n + peer.Receive(Span(got, n, got.Length - n))
                got)
        do! c.SendAsync(ReadOnlyMemory data, Threading.CancellationToken.None)
        let! got = reader
        Assert.That((got = data), Is.True, "the bytes the peer read differ from the bytes sent")
    }

let ``end of stream reads 0, after the bytes before it`` () : Task =
    task {
        let c, peer = pair ()
        use _ = c
        peer.Send [| 5uy |] |> ignore
        peer.Shutdown SocketShutdown.Send
        let! first = receive c 16
        let! eof = receive c 16
        let! again = receive c 16
        Assert.That(first, eq [| 5uy |])
        Assert.That(eof, Is.Empty)
        Assert.That(again, Is.Empty)
        peer.Dispose()
    }

let ``a receive waiting when the peer dies ends with end of stream`` () : Task =
    task {
        let c, peer = pair ()
        use _ = c
        let pending = receive c 16
        peer.Dispose()
        let! got = pending.WaitAsync(TimeSpan.FromSeconds 10.0)
        Assert.That(got, Is.Empty)
    }

let ``disposing ends a waiting receive and later calls fail clearly`` () : Task =
    task {
        let c, peer = pair ()
        use _ = peer
        let pending = receive c 16
        c.Dispose()
        // The waiting receive ends (end of stream, or disposed): it does not hang.
        let! outcome =
            task {
                try
                    let! got = pending.WaitAsync(TimeSpan.FromSeconds 10.0)
                    return Ok got.Length
                with e ->
                    return Error e
            }
        match outcome with
        | Ok n -> Assert.That(n, Is.EqualTo 0)
        | Error e -> Assert.That(e, Is.InstanceOf<ObjectDisposedException>())
        Assert.Throws<ObjectDisposedException>(fun () -> c.ReceiveAsync(Memory(Array.zeroCreate<byte> 4), Threading.CancellationToken.None) |> ignore)
        |> ignore
        Assert.Throws<ObjectDisposedException>(fun () -> c.SendAsync(ReadOnlyMemory [| 1uy |], Threading.CancellationToken.None) |> ignore)
        |> ignore
    }

let ``sending to a dead peer fails with the system's reason`` () =
    let c, peer = pair ()
    use _ = c
    peer.Dispose()
    let e = Assert.Throws<IOException>(fun () -> c.SendAsync(ReadOnlyMemory [| 1uy |], Threading.CancellationToken.None) |> ignore)
    Assert.That(e.Message, Does.Contain("send").And.Contain("pipe"))

let ``a channel over it carries frames both ways`` () : Task =
    task {
        let c, peer = pair ()
        use mine = new Channel(c, ChannelOptions.Default)
        use theirs = new Channel(new SocketConnection(peer, IpcAddress.Uds "(peer)", IpcAddress.Uds "(test)"), ChannelOptions.Default)
        for i in 1..100 do
            do! theirs.SendAsync [| byte i |]
        for i in 1..100 do
            let! more = mine.ReceiveAsync()
            Assert.That(more, Is.True)
            Assert.That(mine.Current.ToArray(), eq [| byte i |])
            do! mine.SendAsync [| byte (i + 1) |]
        for i in 1..100 do
            let! more = theirs.ReceiveAsync()
            Assert.That(more, Is.True)
            Assert.That(theirs.Current.ToArray(), eq [| byte (i + 1) |])
    }

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "DescriptorConnectionTests" [
        Register.test "bytes already there are received at once, without the reader thread" ``bytes already there are received at once, without the reader thread``
        Register.test "a receive waits for bytes that come later, and reads at most the buffer" ``a receive waits for bytes that come later, and reads at most the buffer``
        Register.test "sent bytes arrive in order, also more than the socket buffer holds" ``sent bytes arrive in order, also more than the socket buffer holds``
        Register.test "end of stream reads 0, after the bytes before it" ``end of stream reads 0, after the bytes before it``
        Register.test "a receive waiting when the peer dies ends with end of stream" ``a receive waiting when the peer dies ends with end of stream``
        Register.test "disposing ends a waiting receive and later calls fail clearly" ``disposing ends a waiting receive and later calls fail clearly``
        Register.test "sending to a dead peer fails with the system's reason" ``sending to a dead peer fails with the system's reason``
        Register.test "a channel over it carries frames both ways" ``a channel over it carries frames both ways``
    ]
