namespace TractorNet.Discovery

open System.ComponentModel
open System.Threading
open System.Threading.Tasks
open TractorNet

/// A registry of named actors: the built-in registrar (`BuiltinRegistry`) implements it, and so
/// do backends in their own packages (Tractor.Discovery.Etcd), which is why it is public; not for
/// applications. Every operation may raise `RegistryError`.
[<EditorBrowsable(EditorBrowsableState.Never)>]
type IRegistry =
    /// The registry's address, for `Actor.current ()` and messages.
    abstract Address: string
    /// Registers `entry` (again, after a registrar change: idempotent by uid and name).
    abstract Register: entry: ActorEntry -> Task
    /// Removes every entry of the actor `uid`.
    abstract Unregister: uid: string -> Task
    /// The live entries under `name`, earliest registration first.
    abstract Lookup: name: string -> Task<ActorEntry list>
    /// The earliest entry under `name`, waiting until there is one (or `ct` cancels).
    abstract WaitFor: name: string * ct: CancellationToken -> Task<ActorEntry>
    /// Every entry.
    abstract List: unit -> Task<ActorEntry list>
