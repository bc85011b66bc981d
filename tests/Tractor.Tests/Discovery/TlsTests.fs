/// Optional TLS on TCP (TRACTOR_TLS_CERT / _KEY / _CA): programs whose certificates trust each
/// other find and call each other inside TLS; a program without TLS, or with a certificate the
/// tree does not trust, is refused with a clear log line on both sides. Certificates are made by
/// the test (a shared self-signed one, and leaves of a test CA).
module TractorNet.Tests.TlsTests

open System
open System.IO
open System.Security.Cryptography
open System.Security.Cryptography.X509Certificates
open NUnit.Framework
open TractorNet.Tests.DiscoverySupport

/// A directory of PEM files for one test, removed afterwards.
type private CertificateDirectory() =
    let dir = Directory.CreateTempSubdirectory "tractor-tls-"

    /// Writes `certificate` (and its key, readable by this user only) as `<name>.pem` and
    /// `<name>.key`; returns the TLS variables that select them.
    member _.Write(name: string, certificate: X509Certificate2) =
        let certPath = Path.Combine(dir.FullName, name + ".pem")
        let keyPath = Path.Combine(dir.FullName, name + ".key")
        File.WriteAllText(certPath, certificate.ExportCertificatePem())
        let key = certificate.GetECDsaPrivateKey()
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem())
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead ||| UnixFileMode.UserWrite)
        [ "TRACTOR_TLS_CERT", certPath; "TRACTOR_TLS_KEY", keyPath ]

    /// Writes `authority`'s certificate alone; returns the variable that trusts it.
    member _.Trust(authority: X509Certificate2) =
        let path = Path.Combine(dir.FullName, "ca.pem")
        File.WriteAllText(path, authority.ExportCertificatePem())
        [ "TRACTOR_TLS_CA", path ]

    interface IDisposable with
        member _.Dispose() = dir.Delete true

let private request (subject: string) =
    CertificateRequest($"CN={subject}", ECDsa.Create ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256)

let private selfSigned (subject: string) =
    (request subject).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays -1.0, DateTimeOffset.UtcNow.AddDays 1.0)

/// A test certificate authority.
let private authority () =
    let r = request "tractor test CA"
    r.CertificateExtensions.Add(X509BasicConstraintsExtension(true, false, 0, true))
    r.CertificateExtensions.Add(X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true))
    r.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays -1.0, DateTimeOffset.UtcNow.AddDays 1.0)

/// A leaf certificate issued by `ca`, with its private key.
let private issuedBy (ca: X509Certificate2) (subject: string) =
    let key = ECDsa.Create ECCurve.NamedCurves.nistP256
    let r = CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256)
    let serial = RandomNumberGenerator.GetBytes 8
    let leaf = r.Create(ca, DateTimeOffset.UtcNow.AddHours -1.0, DateTimeOffset.UtcNow.AddHours 12.0, serial)
    leaf.CopyWithPrivateKey key

/// Registry and actors on loopback TCP, with a cookie of the test's own.
let private tcp () =
    let probe = new Net.Sockets.TcpListener(Net.IPAddress.Loopback, 0)
    probe.Start()
    let port = (probe.LocalEndpoint :?> Net.IPEndPoint).Port
    probe.Stop()

    [ "TRACTOR_REGISTRY", $"tcp://127.0.0.1:{port}"
      "TRACTOR_LISTEN", "tcp://127.0.0.1:0"
      "TRACTOR_COOKIE", $"tls-test-{Guid.NewGuid():N}" ]

/// A daemon served with `serverTls`; a finder with `finderTls` that must (or must not) reach it.
let private serveAndFind (serverTls: (string * string) list) (finderTls: (string * string) list) (expectFound: bool) =
    let network = tcp ()
    let server, pid = serveIn (network @ serverTls) "tls-svc"
    use _ = server
    use finder = new Program([ "find"; "tls-svc" ], network @ finderTls)
    let code = finder.Exit()

    if expectFound then
        Assert.That(code, Is.EqualTo 0, finder.Stderr())
        Assert.That(finder.NextLine(), Does.StartWith $"found tls-svc {pid} hello finder from tls-svc pid {pid}")
        Assert.That(server.End(), Is.EqualTo 0, server.Stderr())
    else
        Assert.That(code, Is.Not.EqualTo 0, "refused")
        Assert.That(server.End(), Is.EqualTo 0, server.Stderr())

    finder.Stderr(), server.Stderr()

let ``programs sharing one certificate find and call each other inside TLS`` () =
    use dir = new CertificateDirectory()
    let shared = dir.Write("shared", selfSigned "tractor tree")
    serveAndFind shared shared true |> ignore

let ``programs with certificates of a trusted CA find and call each other inside TLS`` () =
    use dir = new CertificateDirectory()
    let ca = authority ()
    let trust = dir.Trust ca
    let a = dir.Write("a", issuedBy ca "host a")
    let b = dir.Write("b", issuedBy ca "host b")
    serveAndFind (a @ trust) (b @ trust) true |> ignore

let ``a program without TLS is refused by a TLS tree, with a clear log line on both sides`` () =
    use dir = new CertificateDirectory()
    let shared = dir.Write("shared", selfSigned "tractor tree")
    let finder, server = serveAndFind shared [] false
    Assert.That(finder, Does.Contain("refused this actor").And.Contain "TRACTOR_TLS_CERT", finder)
    Assert.That(server, Does.Contain "TLS with", server)

let ``a program whose certificate the tree does not trust is refused, with a clear log line on both sides`` () =
    use dir = new CertificateDirectory()
    let shared = dir.Write("shared", selfSigned "tractor tree")
    let stranger = dir.Write("stranger", selfSigned "someone else")
    let finder, server = serveAndFind shared stranger false
    Assert.That(finder, Does.Contain "TLS with", finder)
    Assert.That(server, Does.Contain "TLS with", server)

/// This file's tests.
[<Expecto.Tests>]
let tests =
    Register.tests "TlsTests" [
        Register.test "programs sharing one certificate find and call each other inside TLS" ``programs sharing one certificate find and call each other inside TLS``
        Register.test "programs with certificates of a trusted CA find and call each other inside TLS" ``programs with certificates of a trusted CA find and call each other inside TLS``
        Register.test "a program without TLS is refused by a TLS tree, with a clear log line on both sides" ``a program without TLS is refused by a TLS tree, with a clear log line on both sides``
        Register.test "a program whose certificate the tree does not trust is refused, with a clear log line on both sides" ``a program whose certificate the tree does not trust is refused, with a clear log line on both sides``
    ]
