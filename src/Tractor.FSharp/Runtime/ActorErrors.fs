namespace TractorNet

open System

/// What ended an actor's process, in words: the signal that stopped it, or its exit code and
/// (for an exit nobody asked for) the broken channel that usually explains it.
module internal ActorDeath =
    let private signalName (n: int) =
        match n with
        | 1 -> "SIGHUP"
        | 2 -> "SIGINT"
        | 6 -> "SIGABRT"
        | 9 -> "SIGKILL"
        | 11 -> "SIGSEGV"
        | 15 -> "SIGTERM"
        | n -> $"signal {n}"

    /// The sentence for actor `actor` whose process ended with `exitCode` (128+n after signal n;
    /// an actor stopped by SIGTERM exits with 143 after cancelling gracefully) while nobody had
    /// asked it to; `cause` is what the parent saw first.
    let describe (actor: string) (exitCode: int) (cause: exn) =
        let seen = if isNull cause then "" else $": {cause.Message}"

        if exitCode > 128 && exitCode < 160 then
            let signal = exitCode - 128
            let how = if signal = 15 then "was stopped by SIGTERM from outside the tree" else $"was killed by {signalName signal}"
            $"actor '{actor}' {how} (exit code {exitCode})"
        elif exitCode = 0 then
            $"actor '{actor}' exited with code 0 although nobody asked it to end{seen}"
        else
            $"actor '{actor}' died unexpectedly (exit code {exitCode}){seen}"

/// <summary>
/// A child actor's process ended while nobody had asked it to (crash, <c>exit</c>, a signal from
/// outside, a broken channel). The message says which. One death is one error object, however
/// many calls, streams and supervisors observe it, so a nursery reports it once. It is a
/// <see cref="T:TractorNet.TransportClosedError"/>: the connection to the actor is gone.
/// </summary>
type ActorDiedError(actor: ActorId, exitCode: int, inner: exn) =
    inherit TransportClosedError(string actor, ActorDeath.describe (string actor) exitCode inner, inner)
    new(actor, exitCode) = ActorDiedError(actor, exitCode, null)
    /// <summary>The actor that died.</summary>
    member _.Actor = actor
    /// <summary>Its process's exit code (128+n when killed by signal n; 143 when stopped by SIGTERM).</summary>
    member _.ExitCode = exitCode
    /// <summary>The signal that ended the process (0 when it exited by itself).</summary>
    member _.Signal = if exitCode > 128 && exitCode < 160 then exitCode - 128 else 0

/// <summary>A child actor failed to start: its process exited or stayed silent before it was ready.</summary>
type ActorSpawnError(message: string) =
    inherit Exception(message)
