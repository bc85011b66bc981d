namespace TractorNet.Ipc

open System
open System.Buffers
open System.Security.Cryptography
open System.Text
open System.Threading
open System.Threading.Tasks
open TractorNet
open TractorNet.Wire

module internal HandshakeDefaults =
    /// The protocol version of this build.
    [<Literal>]
    let ProtocolVersion = 1

/// <summary>Which end of the connection a side is: the connector dialled, the acceptor listened.</summary>
type HandshakeRole =
    | Connector = 0
    | Acceptor = 1

/// <summary>The handshake's timeout expired before the peer finished it.</summary>
type HandshakeTimeoutException(message: string) =
    inherit HandshakeException(message)

/// <summary>What a side brings to the handshake.</summary>
[<Sealed; AllowNullLiteral>]
type HandshakeOptions(identity: IpcIdentity, secret: byte[]) =
    do
        if isNull (box identity) then nullArg "identity"
        if isNull secret || secret.Length < 16 then
            raise (ArgumentException("the tree secret must have at least 16 bytes (use Handshake.NewSecret())", "secret"))

    /// <summary>Who this side is.</summary>
    member _.Identity = identity

    /// <summary>The per-tree secret both sides must know.</summary>
    member _.Secret = secret

    /// <summary>The bound on the whole handshake (default 5 s).</summary>
    member val Timeout = TimeSpan.FromSeconds 5.0 with get, set

    /// <summary>
    /// The protocol version this side speaks (default <c>Handshake.ProtocolVersion</c>; change it
    /// only to test version checks).
    /// </summary>
    member val ProtocolVersion = HandshakeDefaults.ProtocolVersion with get, set

    /// <summary>Where failures are logged (default: warnings to standard error).</summary>
    member val Log: ILog = Log.standardError with get, set

/// <summary>
/// The authenticated handshake every connection starts with (see docs/protocol.md): both sides
/// send a hello (magic, protocol version, role, identity, 32-byte random nonce), then a proof
/// <c>HMAC-SHA256(secret, label || own role || SHA-256(connector hello) || SHA-256(acceptor hello))</c>.
/// The proof covers both nonces (freshness), the prover's role (a reflected proof fails) and
/// both identities; it is compared in constant time.
/// </summary>
[<AbstractClass; Sealed>]
type Handshake =
    /// <summary>The protocol version of this build.</summary>
    static member ProtocolVersion = HandshakeDefaults.ProtocolVersion

    /// <summary>The first element of every hello.</summary>
    static member Magic = "tractor"

    /// <summary>
    /// Frames during the handshake are at most this large: an unauthenticated peer cannot make
    /// us buffer more.
    /// </summary>
    static member MaxFrameSize = 4096

    static member val private Label = Encoding.ASCII.GetBytes "tractor-handshake-v1\000"

    /// <summary>A fresh random 32-byte tree secret.</summary>
    static member NewSecret() : byte[] = RandomNumberGenerator.GetBytes 32

    static member private RoleName(role: HandshakeRole) =
        match role with
        | HandshakeRole.Connector -> "connector"
        | _ -> "acceptor"

    /// Encodes a hello frame's payload.
    static member internal EncodeHello(version: int, role: HandshakeRole, identity: IpcIdentity, nonce: byte[]) : byte[] =
        let output = ArrayBufferWriter<byte>(256)
        let mutable w = MsgPackWriter(output)
        w.WriteArrayHeader 7
        w.WriteString Handshake.Magic
        w.WriteInt32 version
        w.WriteString(Handshake.RoleName role)
        w.WriteString identity.Name
        w.WriteString identity.Uid
        w.WriteInt32 identity.Pid
        w.WriteBinary(ReadOnlySpan nonce)
        w.Flush()
        output.WrittenSpan.ToArray()

    /// Decodes a peer's hello: (version, role, identity, nonce). The magic and version come first
    /// and keep their place in every version, so a mismatch is always reported as one.
    static member internal DecodeHello(payload: ReadOnlyMemory<byte>, ourVersion: int, from: string) =
        let mutable r = MsgPackReader(payload)
        let count = r.ReadArrayHeader()
        if count < 2 || r.ReadString() <> Handshake.Magic then
            raise (HandshakeException $"the peer at {from} is not a tractor peer (bad hello)")
        let version = r.ReadInt32()
        if version <> ourVersion then
            raise (ProtocolVersionMismatchException(ourVersion, version, from))
        if count <> 7 then
            raise (HandshakeException $"malformed hello from {from}: {count} fields, expected 7")
        let role =
            match r.ReadString() with
            | "connector" -> HandshakeRole.Connector
            | "acceptor" -> HandshakeRole.Acceptor
            | other -> raise (HandshakeException $"malformed hello from {from}: unknown role '{other}'")
        let name = r.ReadString()
        let uid = r.ReadString()
        let pid = r.ReadInt32()
        let nonce = r.ReadByteArray()
        if nonce.Length <> 32 then
            raise (HandshakeException $"malformed hello from {from}: nonce of {nonce.Length} bytes, expected 32")
        if not r.End then
            raise (HandshakeException $"malformed hello from {from}: trailing bytes")
        role, { Name = name; Uid = uid; Pid = pid }, nonce

    /// The proof `role` gives for the transcript of the two hellos.
    static member internal Proof(secret: byte[], role: HandshakeRole, connectorHello: byte[], acceptorHello: byte[]) : byte[] =
        let data = ArrayBufferWriter<byte>(128)
        data.Write(ReadOnlySpan Handshake.Label)
        data.Write(ReadOnlySpan(Encoding.ASCII.GetBytes(Handshake.RoleName role + "\000")))
        data.Write(ReadOnlySpan(SHA256.HashData connectorHello))
        data.Write(ReadOnlySpan(SHA256.HashData acceptorHello))
        HMACSHA256.HashData(secret, data.WrittenSpan)

    static member private EncodeProof(proof: byte[]) =
        let output = ArrayBufferWriter<byte>(40)
        let mutable w = MsgPackWriter(output)
        w.WriteBinary(ReadOnlySpan proof)
        w.Flush()
        output.WrittenSpan.ToArray()

    static member private DecodeProof(payload: ReadOnlyMemory<byte>, from: string) =
        let mutable r = MsgPackReader(payload)
        let proof = r.ReadByteArray()
        if not r.End || proof.Length <> 32 then
            raise (HandshakeException $"malformed proof from {from}")
        proof

    /// <summary>
    /// Runs the handshake on a fresh channel (before any other frame). Returns the peer's
    /// authenticated identity (also set as <c>channel.Peer</c>). On failure the channel is aborted,
    /// the reason logged, and a <see cref="T:TractorNet.Ipc.HandshakeException"/> (<see cref="T:TractorNet.Ipc.ProtocolVersionMismatchException"/>,
    /// <see cref="T:TractorNet.Ipc.HandshakeTimeoutException"/>) raised.
    /// </summary>
    static member RunAsync(channel: Channel, role: HandshakeRole, options: HandshakeOptions) : Task<IpcIdentity> =
        let from = string channel.RemoteAddress
        let log = if isNull options.Log then Log.none else options.Log
        let limit = channel.MaxFrame
        channel.MaxFrame <- min limit Handshake.MaxFrameSize
        let timedOut = HandshakeTimeoutException $"the handshake with {from} timed out after {options.Timeout.TotalSeconds:g} s"
        let timer = new CancellationTokenSource(options.Timeout)
        let registration = timer.Token.Register(fun () -> channel.Abort timedOut)

        let receive (what: string) =
            task {
                let! more = channel.ReceiveAsync()
                if not more then
                    raise (HandshakeException $"the peer at {from} closed the connection before sending its {what}")
                return channel.Current
            }

        task {
            let mutable failure: exn = null
            let mutable peer = Unchecked.defaultof<IpcIdentity>
            try
                try
                    let nonce = RandomNumberGenerator.GetBytes 32
                    let ours = Handshake.EncodeHello(options.ProtocolVersion, role, options.Identity, nonce)
                    do! channel.SendAsync ours
                    let! payload = receive "hello"
                    let theirs = payload.ToArray()
                    let peerRole, claimed, peerNonce = Handshake.DecodeHello(payload, options.ProtocolVersion, from)
                    if peerRole = role then
                        raise (HandshakeException $"the peer at {from} claims our own role ({Handshake.RoleName role}): a reflected hello?")
                    if CryptographicOperations.FixedTimeEquals(ReadOnlySpan peerNonce, ReadOnlySpan nonce) then
                        raise (HandshakeException $"the peer at {from} echoed our nonce: a reflected hello?")
                    let connectorHello, acceptorHello = if role = HandshakeRole.Connector then ours, theirs else theirs, ours
                    let proof = Handshake.Proof(options.Secret, role, connectorHello, acceptorHello)
                    do! channel.SendAsync(Handshake.EncodeProof proof)
                    let! payload = receive "proof"
                    let expected = Handshake.Proof(options.Secret, peerRole, connectorHello, acceptorHello)
                    let given = Handshake.DecodeProof(payload, from)
                    if not (CryptographicOperations.FixedTimeEquals(ReadOnlySpan given, ReadOnlySpan expected)) then
                        raise (HandshakeException $"{claimed} at {from} failed authentication: its proof does not match this tree's secret")
                    peer <- claimed
                with e ->
                    failure <-
                        match e with
                        | _ when timer.IsCancellationRequested -> timedOut :> exn
                        | :? HandshakeException -> e
                        | :? MsgPackDecodeException as d -> HandshakeException($"malformed handshake message from {from}: {d.Message}", d)
                        | :? IpcException -> HandshakeException($"the handshake with {from} failed: {e.Message}", e)
                        | _ -> e
            finally
                registration.Dispose()
                timer.Dispose()
            if isNull failure then
                channel.MaxFrame <- limit
                channel.SetPeer peer
                return peer
            else
                log.Log(LogLevel.Warning, $"handshake ({Handshake.RoleName role}) failed, disconnecting: {failure.Message}")
                // Let what we queued (our proof) reach the peer, so it can tell why, then cut.
                try
                    do! channel.CloseAsync().WaitAsync(TimeSpan.FromSeconds 1.0)
                with _ ->
                    ()
                channel.Abort failure
                return raise failure
        }
