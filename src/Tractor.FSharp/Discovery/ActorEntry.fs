namespace TractorNet

/// <summary>One registration: an actor that serves by address, under its name (see
/// docs/discovery.md). Several actors may register one name; lookups list them in registration
/// order.</summary>
type ActorEntry =
    { /// <summary>The name the actor registered (its actor name).</summary>
      Name: string
      /// <summary>The actor's unique id.</summary>
      Uid: string
      /// <summary>The actor's OS process id (on its host).</summary>
      Pid: int
      /// <summary>Where it accepts connections (<c>uds:///…</c> or <c>tcp://host:port</c>).</summary>
      Address: string
      /// <summary>The unique id of its parent actor; empty for a root.</summary>
      Parent: string
      /// <summary>The host it runs on (its machine name).</summary>
      Host: string
      /// <summary>When it registered, in milliseconds since the Unix epoch (UTC).</summary>
      Registered: int64 }

    override e.ToString() = $"{e.Name}#{e.Uid.Substring(0, min 8 e.Uid.Length)} pid {e.Pid} at {e.Address}"
