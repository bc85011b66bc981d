namespace TractorNet.Ipc

open System
open System.Net.Security
open System.Security.Cryptography.X509Certificates

/// Optional TLS for TCP connections (docs/discovery.md): on when TRACTOR_TLS_CERT names a PEM
/// certificate (with its key in TRACTOR_TLS_KEY, or in the same file). Set per tree: spawned
/// actors inherit the variables. Both ends present the certificate (mutual TLS); a peer's
/// certificate is trusted when it is this tree's own (one certificate shared by every host), when
/// it chains to a CA of TRACTOR_TLS_CA, or when the system trusts it for the host's name. The
/// handshake's cookie proof still runs inside the TLS session: TLS adds privacy, not membership.
module internal TlsSettings =
    [<Literal>]
    let CertificateVariable = "TRACTOR_TLS_CERT"

    [<Literal>]
    let KeyVariable = "TRACTOR_TLS_KEY"

    [<Literal>]
    let AuthorityVariable = "TRACTOR_TLS_CA"

    /// What TLS needs, loaded once per process.
    type Settings =
        { Certificate: X509Certificate2
          Authorities: X509Certificate2Collection option }

    let private variable name =
        match Environment.GetEnvironmentVariable name with
        | null
        | "" -> None
        | text -> Some text

    /// Loads a certificate (its key from `keyPath` or the same file) and the trusted authorities.
    let private loadFiles (certPath: string) (keyPath: string option) (caPath: string option) : Settings =
        try
            let certificate =
                match keyPath with
                | Some keyPath -> X509Certificate2.CreateFromPemFile(certPath, keyPath)
                | None -> X509Certificate2.CreateFromPemFile certPath

            if not certificate.HasPrivateKey then
                raise (IpcException $"{CertificateVariable}={certPath}: the certificate has no private key (set {KeyVariable})")

            let authorities =
                caPath
                |> Option.map (fun caPath ->
                    let all = X509Certificate2Collection()
                    all.ImportFromPemFile caPath
                    all)

            { Certificate = certificate; Authorities = authorities }
        with
        | :? IpcException -> reraise ()
        | e -> raise (IpcException($"cannot load the TLS certificate ({CertificateVariable}={certPath}): {e.Message}", e))

    let private load () : Settings option =
        variable CertificateVariable
        |> Option.map (fun certPath -> loadFiles certPath (variable KeyVariable) (variable AuthorityVariable))

    let private settings = lazy (load ())

    /// The TLS settings of this process, or None when TLS is off.
    let current () : Settings option = settings.Force()

    /// Turns TLS on for this process and the actors it spawns from now on (the variables they
    /// inherit), checking the files load; refused once this process has made or accepted a TCP
    /// connection. Nothing changes when the files cannot be loaded.
    let useFiles (certificatePath: string) (keyPath: string) (authorityPath: string) =
        if settings.IsValueCreated then
            invalidOp "TLS is chosen before this actor's first TCP connection or listener: call useTls earlier"

        let given (value: string) = if String.IsNullOrEmpty value then None else Some value
        // Loaded once here so that bad files fail the call and leave TLS as it was.
        loadFiles certificatePath (given keyPath) (given authorityPath) |> ignore

        for name, value in [ CertificateVariable, certificatePath; KeyVariable, keyPath; AuthorityVariable, authorityPath ] do
            Environment.SetEnvironmentVariable(name, Option.toObj (given value))

    /// Whether the remote end's certificate is one this tree trusts (see the module's summary).
    let trusts (s: Settings) (certificate: X509Certificate) (errors: SslPolicyErrors) : bool =
        match certificate with
        | :? X509Certificate2 as remote ->
            if remote.RawDataMemory.Span.SequenceEqual(s.Certificate.RawDataMemory.Span) then
                true
            else
                match s.Authorities with
                | Some authorities ->
                    use chain = new X509Chain()
                    chain.ChainPolicy.TrustMode <- X509ChainTrustMode.CustomRootTrust
                    chain.ChainPolicy.CustomTrustStore.AddRange authorities
                    chain.ChainPolicy.RevocationMode <- X509RevocationMode.NoCheck
                    chain.Build remote
                | None -> errors = SslPolicyErrors.None
        | _ -> false

    /// Why TLS with `remote` failed, for both sides' logs.
    let failure (remote: IpcAddress) (e: exn) =
        IpcException($"TLS with {remote} failed (do both ends set {CertificateVariable} to certificates they trust?): {e.Message}", e)
