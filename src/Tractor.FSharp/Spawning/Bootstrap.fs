namespace TractorNet.Spawning

open System

/// The one line a parent writes to a new child's standard input: where to connect and the
/// tree's secret. It travels over a private pipe, never on the command line (which `ps` shows).
type internal Bootstrap =
    { /// The parent's listening address (text form, e.g. uds:///…/root.sock).
      ParentAddress: string
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
    let encode (b: Bootstrap) =
        [ b.ParentAddress; b.Secret; b.Name; b.Uid; string b.ParentPid ]
        |> List.map Uri.EscapeDataString
        |> String.concat " "

    let decode (line: string) : Bootstrap =
        match line with
        | null
        | "" -> failwith "no bootstrap line on standard input (this entry point is started by a parent actor)"
        | line ->
            match line.Split ' ' |> Array.map Uri.UnescapeDataString with
            | [| address; secret; name; uid; pid |] ->
                { ParentAddress = address
                  Secret = secret
                  Name = name
                  Uid = uid
                  ParentPid = int pid }
            | fields -> failwith $"malformed bootstrap line ({fields.Length} fields, expected 5)"
