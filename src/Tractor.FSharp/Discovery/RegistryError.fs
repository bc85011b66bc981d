namespace TractorNet

open System

/// Discovery failed: the registry could not be reached or refused us (a wrong cookie), or a
/// discovered actor could not be connected to for a reason other than its death.
type RegistryError(message: string, inner: exn) =
    inherit Exception(message, inner)

    /// A registry error with no inner exception.
    new(message: string) = RegistryError(message, null)
