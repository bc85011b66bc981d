namespace TractorNet

open System
open TractorNet.Runtime

/// A child actor's process ended while nobody had asked it to (crash, `exit`, SIGKILL). One
/// death is one error object, however many calls, streams and supervisors observe it, so a
/// nursery reports it once. It is a `TransportClosedError`: the connection to the actor is gone.
type ActorDiedError(actor: ActorId, exitCode: int, inner: exn) =
    inherit TransportClosedError(string actor, $"actor '{actor}' died unexpectedly (exit code {exitCode})", inner)
    new(actor, exitCode) = ActorDiedError(actor, exitCode, null)
    /// The actor that died.
    member _.Actor = actor
    /// Its process's exit code (128+n when killed by signal n).
    member _.ExitCode = exitCode

/// A child actor failed to start: its process exited or stayed silent before it was ready.
type ActorSpawnError(message: string) =
    inherit Exception(message)
