/// The handshake's own SHA-256 / HMAC-SHA256 against the platform's implementation and the
/// RFC 4231 vectors; its comparison and random bytes.
module TractorNet.Tests.HandshakeCryptoTests

open System
open System.Security.Cryptography
open System.Text
open NUnit.Framework
open FsCheck
open FsCheck.NUnit
open TractorNet.Ipc

let private hex (b: byte[]) = Convert.ToHexString(b).ToLowerInvariant()

[<Test>]
let ``SHA-256 matches the platform for every length across the padding boundaries`` () =
    let rnd = Random 7
    for length in 0..300 do
        let data = Array.zeroCreate<byte> length
        rnd.NextBytes data
        Assert.That(hex (HandshakeCrypto.sha256 (ReadOnlySpan data)), Is.EqualTo(hex (SHA256.HashData data)), $"length {length}")

[<Test>]
let ``SHA-256 of the FIPS 180-4 examples`` () =
    let sha (s: string) = hex (HandshakeCrypto.sha256 (ReadOnlySpan(Encoding.ASCII.GetBytes s)))
    Assert.That(sha "abc", Is.EqualTo "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    Assert.That(sha "", Is.EqualTo "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    Assert.That(
        sha "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        Is.EqualTo "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )

[<Property(MaxTest = 200)>]
let ``HMAC-SHA256 matches the platform for any key and data`` (key: byte[], data: byte[]) =
    hex (HandshakeCrypto.hmacSha256 (ReadOnlySpan key) (ReadOnlySpan data)) = hex (HMACSHA256.HashData(key, data))

[<Test>]
let ``HMAC-SHA256 of the RFC 4231 vectors`` () =
    let hmac (key: byte[]) (data: byte[]) = hex (HandshakeCrypto.hmacSha256 (ReadOnlySpan key) (ReadOnlySpan data))
    // Test case 1.
    Assert.That(
        hmac (Array.create 20 0x0buy) (Encoding.ASCII.GetBytes "Hi There"),
        Is.EqualTo "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    )
    // Test case 2 (a key shorter than the block).
    Assert.That(
        hmac (Encoding.ASCII.GetBytes "Jefe") (Encoding.ASCII.GetBytes "what do ya want for nothing?"),
        Is.EqualTo "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    // Test case 6 (a key longer than the block is hashed first).
    Assert.That(
        hmac (Array.create 131 0xaauy) (Encoding.ASCII.GetBytes "Test Using Larger Than Block-Size Key - Hash Key First"),
        Is.EqualTo "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    )

[<Property(MaxTest = 200)>]
let ``the fixed-time comparison is equality`` (a: byte[], b: byte[], same: bool) =
    let b = if same then Array.copy a else b
    HandshakeCrypto.fixedTimeEquals (ReadOnlySpan a) (ReadOnlySpan b) = (a = b)

[<Test>]
let ``random bytes are fresh`` () =
    let a = HandshakeCrypto.randomBytes 32
    let b = HandshakeCrypto.randomBytes 32
    Assert.That(a.Length, Is.EqualTo 32)
    Assert.That(hex a, Is.Not.EqualTo(hex b))
    Assert.That(HandshakeCrypto.randomBytes 0, Is.Empty)

[<Test>]
let ``the handshake proof is the documented HMAC over the transcript`` () =
    let secret = Handshake.NewSecret()
    let a = Encoding.ASCII.GetBytes "connector hello"
    let b = Encoding.ASCII.GetBytes "acceptor hello"
    let transcript =
        Array.concat [ Encoding.ASCII.GetBytes "tractor-handshake-v1\000connector\000"; SHA256.HashData a; SHA256.HashData b ]
    Assert.That(hex (Handshake.Proof(secret, HandshakeRole.Connector, a, b)), Is.EqualTo(hex (HMACSHA256.HashData(secret, transcript))))
