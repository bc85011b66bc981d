namespace TractorNet

// TaskCode and TaskBuilderBase are FSharp.Core's building blocks for extending task { }.
#nowarn "1204"

open System.Collections.Generic

/// <summary><c>for x in source do ...</c> over an <c>IAsyncEnumerable&lt;'T&gt;</c> inside <c>task { }</c>
/// and <c>backgroundTask { }</c>.</summary>
[<AutoOpen>]
module TaskExtensions =
    type TaskBuilderBase with

        /// <summary>Iterates a task sequence inside <c>task { }</c>; the body may use <c>let!</c> and
        /// <c>do!</c>. The enumerator is always disposed (awaited), also when the body throws.</summary>
        member inline For: source: IAsyncEnumerable<'T> * body: ('T -> TaskCode<'TOverall, unit>) -> TaskCode<'TOverall, unit>
