namespace TractorNet.Spawning

open System
open TractorNet.Wire

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

/// The line is base64 of the MessagePack-encoded record.
module internal Bootstrap =
    let encode (b: Bootstrap) = Convert.ToBase64String(MsgPack.serialize b)

    let decode (line: string) : Bootstrap =
        match line with
        | null
        | "" -> failwith "no bootstrap line on standard input (this entry point is started by a parent actor)"
        | line -> MsgPack.deserialize<Bootstrap> (Convert.FromBase64String line)
