namespace TractorNet

// TaskCode and TaskBuilderBase are FSharp.Core's building blocks for extending task { }.
#nowarn "1204"

open System.Collections.Generic
open System.Threading
open Microsoft.FSharp.Control
open Microsoft.FSharp.Core.CompilerServices

/// <summary><c>for x in source do ...</c> over an <c>IAsyncEnumerable&lt;'T&gt;</c> inside <c>task { }</c>
/// and <c>backgroundTask { }</c>.</summary>
[<AutoOpen>]
module TaskExtensions =

    type TaskBuilderBase with

        /// <summary>Iterates a task sequence inside <c>task { }</c>; the body may use <c>let!</c> and
        /// <c>do!</c>. The enumerator is always disposed (awaited), also when the body throws.</summary>
        member inline this.For(source: IAsyncEnumerable<'T>, body: 'T -> TaskCode<'TOverall, unit>) : TaskCode<'TOverall, unit> =
            TaskCode<'TOverall, unit>(fun sm ->
                let loop = TaskSeqAsyncLoopNode<'T>(source.GetAsyncEnumerator CancellationToken.None)
                loop.Live <- true
                ResumableCode
                    .TryFinallyAsync(
                        ResumableCode.While(
                            (fun () -> loop.Live),
                            ResumableCode.Combine(
                                TaskCode<'TOverall, unit>(fun sm ->
                                    this
                                        .Bind(
                                            loop.Enumerator.MoveNextAsync(),
                                            (fun more ->
                                                loop.Live <- more
                                                this.Zero())
                                        )
                                        .Invoke(&sm)),
                                TaskCode<'TOverall, unit>(fun sm ->
                                    if loop.Live then (body loop.Enumerator.Current).Invoke(&sm) else true)
                            )
                        ),
                        TaskCode<'TOverall, unit>(fun sm ->
                            this.Bind(loop.Enumerator.DisposeAsync(), (fun () -> this.Zero())).Invoke(&sm))
                    )
                    .Invoke(&sm))
