namespace TractorNet.Discovery

open System
open System.IO
open System.Security.Cryptography
open System.Text
open TractorNet
open TractorNet.Ipc

/// The secret that programs finding each other must share, as Erlang nodes share a cookie: the
/// `TRACTOR_COOKIE` environment variable when set (so several hosts can be given the same one),
/// else the per-user cookie file in the 0700 socket directory, made (mode 0600) on first use.
/// It keys the handshake's HMAC: it never travels and is never on a command line.
module internal Cookie =
    /// Overrides the cookie file for this process and the actors it spawns afterwards.
    [<Literal>]
    let EnvironmentVariable = "TRACTOR_COOKIE"

    /// The cookie file's name in the socket directory.
    [<Literal>]
    let FileName = "cookie"

    let private userReadWrite = UnixFileMode.UserRead ||| UnixFileMode.UserWrite

    /// The cookie file's path (not created).
    let filePath () = Path.Combine(UnixSocketDirectory.path (), FileName)

    /// The cookie file's text; the first caller on this machine makes it. Written to a temporary
    /// file first and linked into place, so a reader never sees a half-written cookie and two
    /// programs starting at once end up with the same one.
    let private fromFile () =
        let dir = UnixSocketDirectory.ensure ()
        let path = Path.Combine(dir, FileName)

        if not (File.Exists path) then
            let temporary = Path.Combine(dir, $"{FileName}.{Guid.NewGuid():N}.tmp")
            let options = FileStreamOptions(Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = userReadWrite)

            do
                use f = new FileStream(temporary, options)
                let text = Convert.ToBase64String(RandomNumberGenerator.GetBytes 32)
                f.Write(Encoding.ASCII.GetBytes text)

            try
                try
                    File.Move(temporary, path, false)
                with :? IOException when File.Exists path ->
                    () // another program made it first: use theirs
            finally
                File.Delete temporary

        match Posix.lstat path with
        | Some facts when facts.Kind <> 0x8000 ->
            raise (RegistryError $"the cookie file {path} is not a regular file; refusing to use it")
        | Some facts when facts.Owner <> Posix.geteuid () ->
            raise (RegistryError $"the cookie file {path} belongs to uid {facts.Owner}, not to this user; refusing to use it")
        | Some facts when facts.Mode &&& 0o077 <> 0 ->
            raise (RegistryError $"the cookie file {path} has mode {Convert.ToString(facts.Mode, 8)}: others may read it; make it 0600")
        | _ -> File.ReadAllText(path).Trim()

    /// The secret the handshake proves: SHA-256 of the cookie text (32 bytes, whatever its length).
    let secret () : byte[] =
        let text =
            match Environment.GetEnvironmentVariable EnvironmentVariable with
            | null
            | "" -> fromFile ()
            | text -> text

        if text.Length < 16 then
            raise (RegistryError $"the discovery cookie must have at least 16 characters (see {EnvironmentVariable})")

        SHA256.HashData(Encoding.UTF8.GetBytes text)
