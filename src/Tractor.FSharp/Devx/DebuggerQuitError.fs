namespace TractorNet

open System

/// <summary>
/// Raised by <c>Debug.pause</c> when the user quits the REPL (<c>q</c>): it propagates like any error,
/// ending the actor's function and climbing the tree (pdb's <c>BdbQuit</c> in tractor).
/// </summary>
type DebuggerQuitError(actor: ActorId) =
    inherit Exception($"the debugger was quit ('q') in actor '{actor.Name}' ('{actor.Uid}')")

    /// <summary>The actor whose REPL was quit.</summary>
    member _.Actor = actor
