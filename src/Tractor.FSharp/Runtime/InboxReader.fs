namespace TractorNet.Runtime

open System.Threading
open System.Threading.Tasks

/// Reads an inbox as an async enumerator (`ct` cancels a wait).
[<Sealed>]
type internal InboxReader<'T>(inbox: Inbox<'T>, ct: CancellationToken) =
    member _.Current = inbox.Current
    member _.MoveNextAsync() : ValueTask<bool> = inbox.MoveNextAsync ct
