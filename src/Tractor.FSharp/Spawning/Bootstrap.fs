namespace TractorNet.Spawning

open System

/// The one line a parent writes to a new child's standard input: which inherited descriptor is
/// its channel to the parent, and the tree's secret. It travels over a private pipe, never on the
/// command line (which `ps` shows).
type internal Bootstrap =
    { /// The child's end of the socket pair to its parent (inherited across exec).
      ChannelFd: int
      /// The per-tree secret for the handshake, base64.
      Secret: string
      /// The child's actor name and unique id.
      Name: string
      Uid: string
      /// The parent's pid: the child checks it is still its parent after arming PDEATHSIG.
      ParentPid: int }

/// The line is the fields, each URI-escaped, separated by spaces: plain text on purpose, so a
/// child does not build a serialiser before it has even connected (that cost ~85 ms of JIT).
module internal Bootstrap =
    /// `%XX` for '%', the separator and control characters; everything else as is. (Not
    /// `Uri.EscapeDataString`: loading `System.Uri` pulls culture data (ICU) into the child.)
    let private escape (s: string) =
        let b = Text.StringBuilder(s.Length)

        for c in s do
            if c = '%' || c = ' ' || c < ' ' || c = '\u007f' then
                b.Append('%').Append((int c).ToString("X2", Globalization.CultureInfo.InvariantCulture)) |> ignore
            else
                b.Append c |> ignore

        b.ToString()

    let private unescape (s: string) =
        if s.IndexOf '%' < 0 then
            s
        else
            let b = Text.StringBuilder(s.Length)
            let mutable i = 0

            while i < s.Length do
                if s[i] = '%' && i + 2 < s.Length then
                    b.Append(char (Convert.ToInt32(s.Substring(i + 1, 2), 16))) |> ignore
                    i <- i + 3
                elif s[i] = '%' then
                    failwith "malformed bootstrap line (truncated escape)"
                else
                    b.Append s[i] |> ignore
                    i <- i + 1

            b.ToString()

    let encode (b: Bootstrap) =
        let inv = Globalization.CultureInfo.InvariantCulture
        [ b.ChannelFd.ToString inv; b.Secret; b.Name; b.Uid; b.ParentPid.ToString inv ]
        |> List.map escape
        |> String.concat " "

    let decode (line: string) : Bootstrap =
        match line with
        | null
        | "" -> failwith "no bootstrap line on standard input (this entry point is started by a parent actor)"
        | line ->
            match line.Split ' ' |> Array.map unescape with
            | [| fd; secret; name; uid; pid |] ->
                // Invariant: culture-aware parsing would load ICU in a child that may need none.
                let number (text: string) = Int32.Parse(text, Globalization.NumberStyles.None, Globalization.CultureInfo.InvariantCulture)
                { ChannelFd = number fd
                  Secret = secret
                  Name = name
                  Uid = uid
                  ParentPid = number pid }
            | fields -> failwith $"malformed bootstrap line ({fields.Length} fields, expected 5)"
