namespace TractorNet

open System

/// An actor's identity: its name (not unique) and a unique id.
[<CustomEquality; NoComparison>]
type ActorId =
    { /// The name given at spawn ("root" for the root actor).
      Name: string
      /// Unique across the tree.
      Uid: string }

    override a.ToString() = $"{a.Name}#{a.Uid.Substring(0, min 8 a.Uid.Length)}"
    override a.Equals(o) =
        match o with
        | :? ActorId as b -> a.Uid = b.Uid
        | _ -> false
    override a.GetHashCode() = a.Uid.GetHashCode()

    /// A fresh identity.
    static member New(name: string) = { Name = name; Uid = Guid.NewGuid().ToString("N") }
