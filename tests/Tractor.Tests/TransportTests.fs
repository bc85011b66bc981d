/// Addresses and the two transports, over real sockets.
module TractorNet.Tests.TransportTests

open System
open System.IO
open System.Net.Sockets
open System.Threading
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TractorNet.Ipc
open TractorNet.Tests.IpcSupport

let private addresses =
    let segment = Gen.elements [ "run"; "user"; "1000"; "tractor"; "a b"; "x.sock"; "ü-ñ"; "_" ]
    let uds =
        Gen.nonEmptyListOf segment |> Gen.map (fun parts -> IpcAddress.Uds("/" + String.Join("/", parts)))
    let ipv4 =
        Gen.map4 (fun a b c d -> $"{a}.{b}.{c}.{d}") (Gen.choose (0, 255)) (Gen.choose (0, 255)) (Gen.choose (0, 255)) (Gen.choose (0, 255))
    let ipv6 =
        Gen.arrayOfLength 16 (Gen.choose (0, 255) |> Gen.map byte) |> Gen.map (fun b -> Net.IPAddress(b).ToString())
    let host = Gen.oneof [ ipv4; ipv6; Gen.elements [ "localhost"; "example.org"; "node-1" ] ]
    let tcp = Gen.map2 (fun h p -> IpcAddress.Tcp(h, p)) host (Gen.choose (0, 65535))
    Gen.oneof [ uds; tcp ] |> Arb.fromGen

type private Addresses =
    static member Address() = addresses

let ``an address prints and parses back to itself`` (address: IpcAddress) =
    IpcAddress.Parse(address.ToString()) = address

let ``the documented forms parse`` () =
    Assert.That(IpcAddress.Parse "uds:///run/user/1000/tractor/name.sock", Is.EqualTo(IpcAddress.Uds "/run/user/1000/tractor/name.sock"))
    Assert.That(IpcAddress.Parse "tcp://127.0.0.1:1616", Is.EqualTo(IpcAddress.Tcp("127.0.0.1", 1616)))
    Assert.That(IpcAddress.Parse "tcp://[::1]:1616", Is.EqualTo(IpcAddress.Tcp("::1", 1616)))
    Assert.That((IpcAddress.Tcp("::1", 1616)).ToString(), Is.EqualTo "tcp://[::1]:1616")

let ``a bad address gets an error saying what is wrong`` (text: string, expected: string) =
    let e = Assert.Throws<FormatException>(fun () -> IpcAddress.Parse text |> ignore)
    Assert.That(e.Message, Does.Contain expected)
    Assert.That(e.Message, Does.Contain $"'{text}'")
    let mutable parsed = Unchecked.defaultof<IpcAddress>
    Assert.That(IpcAddress.TryParse(text, &parsed), Is.False)

let ``the socket directory is private to the user (0700)`` () =
    let dir = UnixSocketDirectory.ensure ()
    Assert.That(File.GetUnixFileMode dir, Is.EqualTo(UnixFileMode.UserRead ||| UnixFileMode.UserWrite ||| UnixFileMode.UserExecute))
    // A pre-existing directory with wider permissions is tightened.
    let other = Path.Combine(Path.GetTempPath(), $"tractor-perm-test-{Guid.NewGuid():N}")
    Directory.CreateDirectory other |> ignore
    try
        File.SetUnixFileMode(other, enum<UnixFileMode> 0o777)
        UnixSocketDirectory.ensureDirectory other |> ignore
        Assert.That(int (File.GetUnixFileMode other), Is.EqualTo 0o700)
    finally
        Directory.Delete other

let ``a symlink is refused as the socket directory`` () =
    let target = Directory.CreateTempSubdirectory("tractor-target-")
    let link = Path.Combine(Path.GetTempPath(), $"tractor-link-{Guid.NewGuid():N}")
    Directory.CreateSymbolicLink(link, target.FullName) |> ignore
    try
        let e = Assert.Throws<IpcException>(fun () -> UnixSocketDirectory.ensureDirectory link |> ignore)
        Assert.That(e.Message, Does.Contain "not a directory")
    finally
        File.Delete link
        target.Delete()

let ``bytes cross a connection both ways`` (kind: string) =
    let listener, client, server = connectedPair (addressFor kind)
    use _ = listener
    use _ = client
    use _ = server
    await (client.SendAsync(ReadOnlyMemory "ping"B, CancellationToken.None).AsTask())
    let buffer = Array.zeroCreate<byte> 16
    let n = awaitValue (server.ReceiveAsync(Memory buffer, CancellationToken.None).AsTask())
    Assert.That(buffer[.. n - 1], Is.EqualTo<byte[]> "ping"B)
    await (server.SendAsync(ReadOnlyMemory "pong"B, CancellationToken.None).AsTask())
    let n = awaitValue (client.ReceiveAsync(Memory buffer, CancellationToken.None).AsTask())
    Assert.That(buffer[.. n - 1], Is.EqualTo<byte[]> "pong"B)
    client.ShutdownSend()
    Assert.That(awaitValue (server.ReceiveAsync(Memory buffer, CancellationToken.None).AsTask()), Is.EqualTo 0)

let ``a TCP listener on port 0 reports the port it bound`` () =
    use listener = Transport.Listen(IpcAddress.Parse "tcp://127.0.0.1:0")
    match listener.Address with
    | IpcAddress.Tcp("127.0.0.1", port) ->
        Assert.That(port, Is.GreaterThan 0)
        use c = awaitValue (Transport.ConnectAsync(IpcAddress.Parse $"tcp://127.0.0.1:{port}"))
        Assert.That(c.RemoteAddress, Is.EqualTo listener.Address)
    | other -> Assert.Fail $"unexpected bound address {other}"

let ``TCP over IPv6 loopback works when the host has it`` () =
    if not Socket.OSSupportsIPv6 then Assert.Ignore "no IPv6"
    let listener =
        try
            Transport.Listen(IpcAddress.Parse "tcp://[::1]:0")
        with :? IpcException as e ->
            Assert.Ignore $"IPv6 loopback unavailable: {e.Message}"
            Unchecked.defaultof<_>
    use _ = listener
    Assert.That(listener.Address.ToString(), Does.StartWith "tcp://[::1]:")
    use c = awaitValue (Transport.ConnectAsync listener.Address)
    use s = awaitValue (listener.AcceptAsync(CancellationToken.None).AsTask())
    Assert.That(c.RemoteAddress, Is.EqualTo listener.Address)

let ``connecting where nobody listens fails clearly`` () =
    let missing = freshUds ()
    let e = Assert.ThrowsAsync<ConnectException>(fun () -> Transport.ConnectAsync missing)
    Assert.That(e.Message, Does.Contain(missing.ToString()).And.Contain "nobody listens")
    // A TCP port that was just freed.
    let port =
        use l = Transport.Listen anyTcp
        match l.Address with
        | IpcAddress.Tcp(_, p) -> p
        | _ -> 0
    let e = Assert.ThrowsAsync<ConnectException>(fun () -> Transport.ConnectAsync(IpcAddress.Tcp("127.0.0.1", port)))
    Assert.That(e.Message, Does.Contain "connection refused")

let ``a stale socket file is replaced and a live one is address-in-use`` () =
    let address = freshUds ()
    let path = match address with IpcAddress.Uds p -> p | _ -> failwith "uds"
    // A socket file whose socket is gone, as a killed listener leaves it. (.NET unlinks the
    // file it bound on Dispose, so bind elsewhere and move the file into place first.)
    do
        use s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        s.Bind(UnixDomainSocketEndPoint(path + ".tmp"))
        File.Move(path + ".tmp", path)
    Assert.That(File.Exists path, Is.True)
    use listener = Transport.Listen address
    let e = Assert.Throws<IpcException>(fun () -> Transport.Listen address |> ignore)
    Assert.That(e.Message, Does.Contain "address in use")
    use c = awaitValue (Transport.ConnectAsync address)
    Assert.That(c, Is.Not.Null)

let ``a regular file at the socket path is never replaced`` () =
    let address = freshUds ()
    let path = match address with IpcAddress.Uds p -> p | _ -> failwith "uds"
    File.WriteAllText(path, "precious")
    try
        let e = Assert.Throws<IpcException>(fun () -> Transport.Listen address |> ignore)
        Assert.That(e.Message, Does.Contain "not a socket")
        Assert.That(File.ReadAllText path, Is.EqualTo "precious")
    finally
        File.Delete path

let ``closing a Unix socket listener removes its file`` () =
    let address = freshUds ()
    let path = match address with IpcAddress.Uds p -> p | _ -> failwith "uds"
    let listener = Transport.Listen address
    Assert.That(File.Exists path, Is.True)
    listener.Dispose()
    Assert.That(File.Exists path, Is.False)
    Assert.ThrowsAsync<ObjectDisposedException>(fun () -> listener.AcceptAsync(CancellationToken.None).AsTask()) |> ignore

let ``a pending accept ends when the listener closes`` () =
    let listener = Transport.Listen(freshUds ())
    let pending = listener.AcceptAsync(CancellationToken.None).AsTask()
    listener.Dispose()
    Assert.ThrowsAsync<ObjectDisposedException>(fun () -> pending.WaitAsync hangGuard) |> ignore

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "TransportTests" [
        Register.property 300 [ typeof<Addresses> ] "an address prints and parses back to itself" ``an address prints and parses back to itself``
        Register.test "the documented forms parse" ``the documented forms parse``
        yield! Register.cases "a bad address gets an error saying what is wrong" [
            "(\"\", \"missing scheme\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("", "missing scheme"))
            "(\"/tmp/x.sock\", \"missing scheme\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("/tmp/x.sock", "missing scheme"))
            "(\"http://x:1\", \"unknown scheme 'http'\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("http://x:1", "unknown scheme 'http'"))
            "(\"uds://relative.sock\", \"absolute path\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("uds://relative.sock", "absolute path"))
            "(\"uds:///tmp/dir/\", \"names a directory\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("uds:///tmp/dir/", "names a directory"))
            "(\"tcp://127.0.0.1\", \"missing ':port'\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://127.0.0.1", "missing ':port'"))
            "(\"tcp://127.0.0.1:\", \"is not a port number\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://127.0.0.1:", "is not a port number"))
            "(\"tcp://127.0.0.1:65536\", \"'65536' is not a port number\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://127.0.0.1:65536", "'65536' is not a port number"))
            "(\"tcp://127.0.0.1:-1\", \"is not a port number\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://127.0.0.1:-1", "is not a port number"))
            "(\"tcp://:80\", \"missing host\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://:80", "missing host"))
            "(\"tcp://::1:80\", \"must be in brackets\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://::1:80", "must be in brackets"))
            "(\"tcp://[::1:80\", \"closed with ']'\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://[::1:80", "closed with ']'"))
            "(\"tcp://[::1]\", \"missing ':port'\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://[::1]", "missing ':port'"))
            "(\"tcp://[1.2.3.4]:80\", \"not an IPv6 address\")", (fun () -> ``a bad address gets an error saying what is wrong`` ("tcp://[1.2.3.4]:80", "not an IPv6 address"))
        ]
        Register.test "the socket directory is private to the user (0700)" ``the socket directory is private to the user (0700)``
        Register.test "a symlink is refused as the socket directory" ``a symlink is refused as the socket directory``
        yield! Register.cases "bytes cross a connection both ways" [
            "(\"uds\")", (fun () -> ``bytes cross a connection both ways`` ("uds"))
            "(\"tcp\")", (fun () -> ``bytes cross a connection both ways`` ("tcp"))
        ]
        Register.test "a TCP listener on port 0 reports the port it bound" ``a TCP listener on port 0 reports the port it bound``
        Register.test "TCP over IPv6 loopback works when the host has it" ``TCP over IPv6 loopback works when the host has it``
        Register.test "connecting where nobody listens fails clearly" ``connecting where nobody listens fails clearly``
        Register.test "a stale socket file is replaced and a live one is address-in-use" ``a stale socket file is replaced and a live one is address-in-use``
        Register.test "a regular file at the socket path is never replaced" ``a regular file at the socket path is never replaced``
        Register.test "closing a Unix socket listener removes its file" ``closing a Unix socket listener removes its file``
        Register.test "a pending accept ends when the listener closes" ``a pending accept ends when the listener closes``
    ]
