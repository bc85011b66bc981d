namespace TractorNet

open System
open System.Collections.Generic
open System.Runtime.ExceptionServices

/// <summary>
/// What travels on the wire for an error raised in an actor: enough to show and to box it,
/// never the exception object itself.
/// </summary>
type RemoteErrorInfo =
    { /// <summary>The actor where the error was raised.</summary>
      Source: ActorId
      /// <summary>Full name of the remote exception's type.</summary>
      TypeName: string
      /// <summary>The remote exception's message.</summary>
      Message: string
      /// <summary>The remote stack trace, as text.</summary>
      StackTrace: string
      /// <summary>The actors the error passed through on its way here, nearest to the source first.</summary>
      RelayPath: ActorId list
      /// <summary>For an aggregate of several errors: each of them (nested trees box nested aggregates).</summary>
      Inner: RemoteErrorInfo list }

/// <summary>
/// An error raised in another actor. Carries the source actor, the remote type name, message
/// and stack trace, the relay path through intermediate actors, and <c>BoxedType</c> where the remote
/// type can be loaded here.
/// </summary>
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
    /// <summary>The actor where the error was raised.</summary>
    member _.Source = info.Source
    /// <summary>Full name of the remote exception's type (e.g. "System.InvalidOperationException").</summary>
    member _.TypeName = info.TypeName
    /// <summary>The remote exception's own message.</summary>
    member _.RemoteMessage = info.Message
    /// <summary>The remote stack trace, as text.</summary>
    member _.RemoteStackTrace = info.StackTrace
    /// <summary>The actors the error was relayed through, nearest to the source first.</summary>
    member _.RelayPath: IReadOnlyList<ActorId> = info.RelayPath :> _
    /// <summary>The remote exception's type, where it can be loaded in this process; otherwise null.</summary>
    member _.BoxedType: Type = boxed.Value
    /// <summary>For a remote aggregate: the errors it held, each as a RemoteActorError.</summary>
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
