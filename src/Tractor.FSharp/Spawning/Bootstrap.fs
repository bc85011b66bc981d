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
      ParentPid: int
      /// Whether the child leads a new process group that all its descendants
      /// share: the root's children do, so the root can kill a whole subtree at once.
      LeadsGroup: bool
      /// Whether the child is a warm pool's: it says it is warm (WarmPool) and waits for its
      /// identity in the spawn spec; `Name`/`Uid` are then placeholders.
      Pooled: bool }

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

    /// A hex digit's value.
    let private hexDigit (c: char) =
        if c >= '0' && c <= '9' then int c - int '0'
        elif c >= 'A' && c <= 'F' then int c - int 'A' + 10
        elif c >= 'a' && c <= 'f' then int c - int 'a' + 10
        else failwith "malformed bootstrap line (bad escape)"

    /// Plain loops over characters: a child decodes this first thing, before anything is loaded
    /// (no String.Split, FSharp.Core collection functions or culture-aware parsing).
    let private unescape (s: string) (start: int) (stop: int) =
        let b = Text.StringBuilder(stop - start)
        let mutable i = start

        while i < stop do
            if s[i] = '%' then
                if i + 2 >= stop then
                    failwith "malformed bootstrap line (truncated escape)"

                b.Append(char (hexDigit s[i + 1] * 16 + hexDigit s[i + 2])) |> ignore
                i <- i + 3
            else
                b.Append s[i] |> ignore
                i <- i + 1

        b.ToString()

    let private number (text: string) =
        if text.Length = 0 || text.Length > 9 then
            failwith $"malformed bootstrap line (not a number: '{text}')"

        let mutable n = 0

        for c in text do
            if c < '0' || c > '9' then
                failwith $"malformed bootstrap line (not a number: '{text}')"

            n <- n * 10 + (int c - int '0')

        n

    let encode (b: Bootstrap) =
        let inv = Globalization.CultureInfo.InvariantCulture
        [ b.ChannelFd.ToString inv; b.Secret; b.Name; b.Uid; b.ParentPid.ToString inv; (if b.LeadsGroup then "1" else "0"); (if b.Pooled then "1" else "0") ]
        |> List.map escape
        |> String.concat " "

    let decode (line: string) : Bootstrap =
        if String.IsNullOrEmpty line then
            failwith "no bootstrap line on standard input (this entry point is started by a parent actor)"

        let fields = Array.zeroCreate<string> 7
        let mutable count = 0
        let mutable start = 0

        for i in 0 .. line.Length do
            if i = line.Length || line[i] = ' ' then
                if count < fields.Length then
                    fields[count] <- unescape line start i

                count <- count + 1
                start <- i + 1

        if count <> fields.Length then
            failwith $"malformed bootstrap line ({count} fields, expected 7)"

        let flag (text: string) =
            match text with
            | "1" -> true
            | "0" -> false
            | other -> failwith $"malformed bootstrap line (not a flag: '{other}')"

        { ChannelFd = number fields[0]
          Secret = fields[1]
          Name = fields[2]
          Uid = fields[3]
          ParentPid = number fields[4]
          LeadsGroup = flag fields[5]
          Pooled = flag fields[6] }
