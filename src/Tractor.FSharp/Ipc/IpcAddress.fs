namespace TractorNet.Ipc

open System
open System.Globalization
open System.Net
open System.Net.Sockets
open System.Runtime.InteropServices

/// <summary>
/// Where a channel listens or connects, printed and parsed as text:
/// <c>uds:///run/user/1000/tractor/name.sock</c>, <c>tcp://127.0.0.1:1616</c>, <c>tcp://[::1]:1616</c>.
/// </summary>
[<RequireQualifiedAccess; StructuralEquality; NoComparison>]
type IpcAddress =
    /// <summary>A Unix domain socket at an absolute file path.</summary>
    | Uds of path: string
    /// <summary>A TCP endpoint: an IP literal or host name, and a port (0 = any free port when listening).</summary>
    | Tcp of host: string * port: int

    /// <summary>The text form, which <c>Parse</c> reads back.</summary>
    override this.ToString() =
        match this with
        | Uds path -> "uds://" + path
        | Tcp(host, port) when host.Contains ':' -> $"tcp://[{host}]:{port}"
        | Tcp(host, port) -> $"tcp://{host}:{port}"

    /// <summary>The scheme: "uds" or "tcp".</summary>
    member this.Scheme =
        match this with
        | Uds _ -> "uds"
        | Tcp _ -> "tcp"

    /// Parses the text form; returns the address or a message saying what is wrong.
    static member internal TryParseCore(text: string) : Result<IpcAddress, string> =
        let fail (why: string) = Error $"invalid IPC address '{text}': {why}"

        if isNull text then
            Error "invalid IPC address: null"
        elif text.StartsWith("uds://", StringComparison.Ordinal) then
            let path = text.Substring 6
            if path.Length = 0 || path[0] <> '/' then
                fail "a uds address needs an absolute path, e.g. uds:///run/user/1000/tractor/name.sock"
            elif path.IndexOf '\000' >= 0 then
                fail "the path contains a NUL character"
            elif path.EndsWith '/' then
                fail "the path names a directory, not a socket file"
            else
                Ok(IpcAddress.Uds path)
        elif text.StartsWith("tcp://", StringComparison.Ordinal) then
            let rest = text.Substring 6
            let hostPort =
                if rest.StartsWith '[' then
                    match rest.IndexOf ']' with
                    | -1 -> Error "an IPv6 address must be closed with ']', e.g. tcp://[::1]:1616"
                    | close ->
                        let host = rest.Substring(1, close - 1)
                        let after = rest.Substring(close + 1)
                        if not (after.StartsWith ':') then Error "missing ':port' after the IPv6 address"
                        else
                            match IPAddress.TryParse host with
                            | true, ip when ip.AddressFamily = AddressFamily.InterNetworkV6 -> Ok(host, after.Substring 1)
                            | _ -> Error $"'{host}' is not an IPv6 address"
                else
                    match rest.LastIndexOf ':' with
                    | -1 -> Error "missing ':port', e.g. tcp://127.0.0.1:1616"
                    | colon ->
                        let host = rest.Substring(0, colon)
                        if host.Contains ':' then Error "an IPv6 address must be in brackets, e.g. tcp://[::1]:1616"
                        else Ok(host, rest.Substring(colon + 1))

            match hostPort with
            | Error why -> fail why
            | Ok(host, _) when host.Length = 0 -> fail "missing host"
            | Ok(host, _) when host |> Seq.exists (fun c -> Char.IsWhiteSpace c || c = '/' || c = '?' || c = '#' || c = '@') ->
                fail $"'{host}' is not a valid host"
            | Ok(host, portText) ->
                match Int32.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture) with
                | true, port when port <= 65535 -> Ok(IpcAddress.Tcp(host, port))
                | _ -> fail $"'{portText}' is not a port number (0-65535)"
        else
            match text.IndexOf "://" with
            | -1 -> fail "missing scheme; expected uds:///path or tcp://host:port"
            | i -> fail $"unknown scheme '{text.Substring(0, i)}'; expected 'uds' or 'tcp'"

    /// <summary>Parses the text form; throws <c>FormatException</c> naming what is wrong.</summary>
    static member Parse(text: string) : IpcAddress =
        match IpcAddress.TryParseCore text with
        | Ok a -> a
        | Error why -> raise (FormatException why)

    /// <summary>Parses the text form; false (and a null result) if it is not a valid address.</summary>
    static member TryParse(text: string, [<Out>] result: byref<IpcAddress>) : bool =
        match IpcAddress.TryParseCore text with
        | Ok a ->
            result <- a
            true
        | Error _ ->
            result <- Unchecked.defaultof<_>
            false

    /// <summary>A Unix domain socket address.</summary>
    static member UnixSocket(path: string) = IpcAddress.Parse("uds://" + path)

    /// <summary>A TCP address.</summary>
    static member TcpSocket(host: string, port: int) =
        if port < 0 || port > 65535 then
            raise (ArgumentOutOfRangeException("port", port, "a port is 0-65535"))
        IpcAddress.Parse((IpcAddress.Tcp(host, port)).ToString())
