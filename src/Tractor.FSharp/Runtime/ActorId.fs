namespace TractorNet

open System

/// <summary>An actor's identity: its name (not unique) and a unique id.</summary>
[<CustomEquality; NoComparison>]
type ActorId =
    { /// <summary>The name given at spawn ("root" for the root actor).</summary>
      Name: string
      /// <summary>Unique across the tree.</summary>
      Uid: string }

    override a.ToString() = $"{a.Name}#{a.Uid.Substring(0, min 8 a.Uid.Length)}"
    override a.Equals(o) =
        match o with
        | :? ActorId as b -> a.Uid = b.Uid
        | _ -> false
    override a.GetHashCode() = a.Uid.GetHashCode()

    /// <summary>A fresh identity.</summary>
    static member New(name: string) = { Name = name; Uid = Guid.NewGuid().ToString("N") }
