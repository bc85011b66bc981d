namespace TractorNet

open System
open System.Collections.Generic
open System.Runtime.ExceptionServices

/// What travels on the wire for an error raised in an actor: enough to show and to box it,
/// never the exception object itself.
type RemoteErrorInfo =
    { /// The actor where the error was raised.
      Source: ActorId
      /// Full name of the remote exception's type.
      TypeName: string
      /// The remote exception's message.
      Message: string
      /// The remote stack trace, as text.
      StackTrace: string
      /// The actors the error passed through on its way here, nearest to the source first.
      RelayPath: ActorId list
      /// For an aggregate of several errors: each of them (nested trees box nested aggregates).
      Inner: RemoteErrorInfo list }

/// An error raised in another actor. Carries the source actor, the remote type name, message
/// and stack trace, the relay path through intermediate actors, and `BoxedType` where the remote
/// type can be loaded here.
type RemoteActorError internal (info: RemoteErrorInfo) =
    inherit
        Exception(
            let relay =
                if info.RelayPath.IsEmpty then ""
                else " via " + String.Join(" -> ", info.RelayPath |> List.map string)

            $"{info.TypeName} in actor '{info.Source}'{relay}: {info.Message}"
        )

    let boxed =
        lazy
            (try
                match Type.GetType(info.TypeName, false) with
                | null ->
                    AppDomain.CurrentDomain.GetAssemblies()
                    |> Seq.tryPick (fun a ->
                        match a.GetType(info.TypeName, false) with
                        | null -> None
                        | t -> Some t)
                    |> Option.toObj
                | t -> t
             with _ ->
                 null)

    /// The wire form of this error.
    member internal _.Info = info
    /// The actor where the error was raised.
    member _.Source = info.Source
    /// Full name of the remote exception's type (e.g. "System.InvalidOperationException").
    member _.TypeName = info.TypeName
    /// The remote exception's own message.
    member _.RemoteMessage = info.Message
    /// The remote stack trace, as text.
    member _.RemoteStackTrace = info.StackTrace
    /// The actors the error was relayed through, nearest to the source first.
    member _.RelayPath: IReadOnlyList<ActorId> = info.RelayPath :> _
    /// The remote exception's type, where it can be loaded in this process; otherwise null.
    member _.BoxedType: Type = boxed.Value
    /// For a remote aggregate: the errors it held, each as a RemoteActorError.
    member _.InnerErrors: IReadOnlyList<RemoteActorError> = info.Inner |> List.map RemoteActorError :> _

    override e.ToString() =
        let inner =
            if info.Inner.IsEmpty then ""
            else
                "\n" + String.Join("\n", e.InnerErrors |> Seq.map (fun i -> "  " + i.ToString().Replace("\n", "\n  ")))

        $"{e.GetType().FullName}: {e.Message}\n--- remote stack trace ---\n{info.StackTrace}{inner}"

/// Conversions between exceptions and their wire form.
module internal RemoteErrorInfo =
    /// The wire form of an exception raised in actor `self`. A RemoteActorError being relayed
    /// keeps its source and gains `self` on its relay path; an aggregate keeps every inner error.
    let rec ofException (self: ActorId) (e: exn) : RemoteErrorInfo =
        match e with
        | :? RemoteActorError as r -> { r.Info with RelayPath = r.Info.RelayPath @ [ self ] }
        | :? AggregateException as a when a.InnerExceptions.Count > 1 ->
            { Source = self
              TypeName = e.GetType().FullName
              Message = e.Message
              StackTrace = string e.StackTrace
              RelayPath = []
              Inner = a.InnerExceptions |> Seq.map (ofException self) |> List.ofSeq }
        | :? AggregateException as a when a.InnerExceptions.Count = 1 -> ofException self a.InnerExceptions[0]
        | _ ->
            // Inner exceptions (a type initialiser's, a reflection wrapper's) carry the real cause.
            let rec chain (e: exn) =
                if isNull e.InnerException then e.Message
                else $"{e.Message} ---> {e.InnerException.GetType().FullName}: {chain e.InnerException}"

            { Source = self
              TypeName = e.GetType().FullName
              Message = chain e
              StackTrace = string e.StackTrace
              RelayPath = []
              Inner = [] }
