namespace TractorNet

open System

/// <summary>Discovery failed: the registry could not be reached or refused us (a wrong cookie), or
/// a discovered actor could not be connected to for a reason other than its death.</summary>
type RegistryError(message: string, inner: exn) =
    inherit Exception(message, inner)

    /// <summary>A registry error with no inner exception.</summary>
    new(message: string) = RegistryError(message, null)
