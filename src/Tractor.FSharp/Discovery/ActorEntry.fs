namespace TractorNet

/// One registration: an actor that serves by address, under its name (see docs/discovery.md).
/// Several actors may register one name; lookups list them in registration order.
type ActorEntry =
    { /// The name the actor registered (its actor name).
      Name: string
      /// The actor's unique id.
      Uid: string
      /// The actor's OS process id (on its host).
      Pid: int
      /// Where it accepts connections (`uds:///…` or `tcp://host:port`).
      Address: string
      /// The unique id of its parent actor; empty for a root.
      Parent: string
      /// The host it runs on (its machine name).
      Host: string
      /// When it registered, in milliseconds since the Unix epoch (UTC).
      Registered: int64 }

    override e.ToString() = $"{e.Name}#{e.Uid.Substring(0, min 8 e.Uid.Length)} pid {e.Pid} at {e.Address}"
