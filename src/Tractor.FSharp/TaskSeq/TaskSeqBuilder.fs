namespace TractorNet

// Building resumable code from FSharp.Core's resumable primitives is what this file is for.
#nowarn "3513"

// The `taskSeq { }` computation expression: F# resumable code, so a body compiles to one struct
// state machine (like `task { }`): no closure or allocation per element; MoveNextAsync completes
// synchronously whenever the next element needs no real await. Every member also has a dynamic
// path, used when the compiler cannot build the state machine (warning FS3511).
//
// Names follow FSharp.Control.TaskSeq so that package can replace this one.

open System
open System.Collections.Generic

open System.Runtime.CompilerServices
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Core.CompilerServices
open Microsoft.FSharp.Core.CompilerServices.StateMachineHelpers

/// <summary>A task sequence: an <c>IAsyncEnumerable&lt;'T&gt;</c>.</summary>
type TaskSeq<'T> = IAsyncEnumerable<'T>

/// <summary>A task sequence: an <c>IAsyncEnumerable&lt;'T&gt;</c>.</summary>
type taskSeq<'T> = IAsyncEnumerable<'T>

/// <summary>Implementation detail of <c>taskSeq { }</c>: a compiled piece of a task sequence's body.</summary>
type TaskSeqCode<'T> = ResumableCode<TaskSeqBase<'T>, unit>

/// <summary>The value to bind with <c>let! token = TaskSeq.cancellationToken</c> inside
/// <c>taskSeq { }</c>: it gives the CancellationToken the consumer passed to GetAsyncEnumerator.</summary>
[<Struct; NoEquality; NoComparison>]
type TaskSeqCancellationToken =
    /// <summary>The only value: <c>TaskSeq.cancellationToken</c>.</summary>
    | TaskSeqCancellationToken

/// <summary>Builder of <c>taskSeq { }</c>: a lazy, pull-based <c>IAsyncEnumerable&lt;'T&gt;</c>. Nothing
/// runs before the first MoveNextAsync; each GetAsyncEnumerator starts the body again. Supports
/// <c>yield</c>, <c>yield!</c> (of task sequences and <c>seq</c>), <c>let!</c>/<c>do!</c> on Task, ValueTask,
/// Async and any other awaitable, <c>for</c> over <c>seq</c> and task sequences, <c>while</c>, <c>try/with</c>,
/// <c>try/finally</c>, <c>use</c>/<c>use!</c> (IDisposable and IAsyncDisposable), <c>if</c>, <c>match</c>.</summary>
/// <remarks>The consumer's CancellationToken is checked before every step (a cancelled token makes
/// MoveNextAsync fail with OperationCanceledException), flows into every nested task sequence and
/// Async, and is available as <c>let! token = TaskSeq.cancellationToken</c>. DisposeAsync runs every
/// pending <c>finally</c> and <c>use</c> clean-up exactly once, innermost first.</remarks>
type TaskSeqBuilder() =

    /// <summary>Awaits an awaiter, then continues with its result. The awaiter is created when
    /// this code runs, not when it is built.</summary>
    [<ComponentModel.EditorBrowsable(ComponentModel.EditorBrowsableState.Never)>]
    static member inline AwaitThen< ^Awaiter, 'Result, 'T
        when ^Awaiter :> ICriticalNotifyCompletion
        and ^Awaiter: (member get_IsCompleted: unit -> bool)
        and ^Awaiter: (member GetResult: unit -> 'Result)>
        ([<InlineIfLambda>] getAwaiter: TaskSeqBase<'T> -> ^Awaiter, [<InlineIfLambda>] continuation: 'Result -> TaskSeqCode<'T>)
        : TaskSeqCode<'T> =
        TaskSeqCode<'T>(fun sm ->
            if __useResumableCode then
                //-- RESUMABLE CODE START
                let mutable awaiter = getAwaiter sm.Data
                let mutable __stack_fin = true
                if not (^Awaiter: (member get_IsCompleted: unit -> bool) awaiter) then
                    let __stack_yield_fin = ResumableCode.Yield().Invoke(&sm)
                    __stack_fin <- __stack_yield_fin
                if __stack_fin then
                    let result = (^Awaiter: (member GetResult: unit -> 'Result) awaiter)
                    (continuation result).Invoke(&sm)
                else
                    sm.Data.AwaitOnCompleted(&awaiter)
                    false
            //-- RESUMABLE CODE END
            else
                let awaiter = getAwaiter sm.Data
                if (^Awaiter: (member get_IsCompleted: unit -> bool) awaiter) then
                    (continuation (^Awaiter: (member GetResult: unit -> 'Result) awaiter)).Invoke(&sm)
                else
                    // Registered by TaskSeqDynamicInfo once the resumption chain is complete.
                    sm.ResumptionDynamicInfo.ResumptionData <- (awaiter :> ICriticalNotifyCompletion)
                    sm.ResumptionDynamicInfo.ResumptionFunc <-
                        ResumptionFunc<TaskSeqBase<'T>>(fun sm ->
                            (continuation (^Awaiter: (member GetResult: unit -> 'Result) awaiter)).Invoke(&sm))
                    false)

    /// <summary>Delays the body until it runs.</summary>
    member inline _.Delay([<InlineIfLambda>] generator: unit -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        ResumableCode.Delay generator

    /// <summary>Turns a body into a task sequence.</summary>
    member inline _.Run(code: TaskSeqCode<'T>) : IAsyncEnumerable<'T> =
        if __useResumableCode then
            __stateMachine<TaskSeqBase<'T>, IAsyncEnumerable<'T>>
                (MoveNextMethodImpl<_>(fun sm ->
                    //-- RESUMABLE CODE START
                    __resumeAt sm.ResumptionPoint
                    let mutable __stack_exn: exn = null
                    try
                        let __stack_code_fin = code.Invoke(&sm)
                        if __stack_code_fin then sm.Data.MarkCompleted()
                    with exn ->
                        __stack_exn <- exn
                    if not (isNull __stack_exn) then sm.Data.MarkFaulted __stack_exn
                //-- RESUMABLE CODE END
                ))
                (SetStateMachineMethodImpl<_>(fun _ _ -> ()))
                (AfterCode<_, _>(fun sm ->
                    let ts = TaskSeqStatic<ResumableStateMachine<TaskSeqBase<'T>>, 'T>()
                    ts.Pristine <- sm
                    ts :> IAsyncEnumerable<'T>))
        else
            TaskSeqDynamic<'T>(code) :> IAsyncEnumerable<'T>

    /// <summary>An empty step (an <c>if</c> without <c>else</c>, the end of a body).</summary>
    [<DefaultValue>]
    member inline _.Zero() : TaskSeqCode<'T> = ResumableCode.Zero()

    /// <summary>Runs one step, then the next.</summary>
    member inline _.Combine(step1: TaskSeqCode<'T>, step2: TaskSeqCode<'T>) : TaskSeqCode<'T> =
        ResumableCode.Combine(step1, step2)

    /// <summary><c>while condition do body</c>.</summary>
    member inline _.While([<InlineIfLambda>] condition: unit -> bool, body: TaskSeqCode<'T>) : TaskSeqCode<'T> =
        ResumableCode.While(condition, body)

    /// <summary><c>try body with handler</c>.</summary>
    member inline _.TryWith(body: TaskSeqCode<'T>, catch: exn -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        ResumableCode.TryWith(body, catch)

    /// <summary><c>try body finally compensation</c>; the compensation also runs when the consumer
    /// disposes the enumerator while the body is suspended inside the <c>try</c>.</summary>
    member inline _.TryFinally(body: TaskSeqCode<'T>, [<InlineIfLambda>] compensation: unit -> unit) : TaskSeqCode<'T> =
        TaskSeqCode<'T>(fun sm ->
            sm.Data.Push(TaskSeqFinallyNode compensation)
            ResumableCode
                .TryFinally(
                    body,
                    TaskSeqCode<'T>(fun sm ->
                        sm.Data.Pop()
                        compensation ()
                        true)
                )
                .Invoke(&sm))

    /// <summary><c>yield value</c>: suspends the body until the consumer asks for the next element.</summary>
    member inline _.Yield(value: 'T) : TaskSeqCode<'T> =
        TaskSeqCode<'T>(fun sm ->
            sm.Data.MarkYield value
            ResumableCode.Yield().Invoke(&sm))

    /// <summary><c>for element in source do body</c> over a <c>seq</c>.</summary>
    member inline _.For(source: seq<'Element>, body: 'Element -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        TaskSeqCode<'T>(fun sm ->
            let loop = TaskSeqLoopNode<'Element>(source.GetEnumerator())
            sm.Data.Push loop
            ResumableCode
                .TryFinally(
                    ResumableCode.While(
                        (fun () -> loop.Enumerator.MoveNext()),
                        TaskSeqCode<'T>(fun sm -> (body loop.Enumerator.Current).Invoke(&sm))
                    ),
                    TaskSeqCode<'T>(fun sm ->
                        sm.Data.Pop()
                        loop.Enumerator.Dispose()
                        true)
                )
                .Invoke(&sm))

    /// <summary><c>for element in source do body</c> over a task sequence. The consumer's
    /// CancellationToken is passed on to <c>source</c>.</summary>
    member inline _.For(source: IAsyncEnumerable<'Element>, body: 'Element -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        TaskSeqCode<'T>(fun sm ->
            let loop = TaskSeqAsyncLoopNode<'Element>(source.GetAsyncEnumerator sm.Data.Token)
            loop.Live <- true
            sm.Data.Push loop
            ResumableCode
                .TryFinallyAsync(
                    ResumableCode.While(
                        (fun () -> loop.Live),
                        ResumableCode.Combine(
                            TaskSeqBuilder.AwaitThen(
                                (fun _ -> loop.Enumerator.MoveNextAsync().GetAwaiter()),
                                (fun more ->
                                    loop.Live <- more
                                    ResumableCode.Zero())
                            ),
                            TaskSeqCode<'T>(fun sm ->
                                if loop.Live then (body loop.Enumerator.Current).Invoke(&sm) else true)
                        )
                    ),
                    TaskSeqCode<'T>(fun sm ->
                        sm.Data.Pop()
                        TaskSeqBuilder
                            .AwaitThen((fun _ -> loop.Enumerator.DisposeAsync().GetAwaiter()), (fun () -> ResumableCode.Zero()))
                            .Invoke(&sm))
                )
                .Invoke(&sm))

    /// <summary><c>yield! source</c> of a task sequence.</summary>
    member inline this.YieldFrom(source: IAsyncEnumerable<'T>) : TaskSeqCode<'T> =
        this.For(source, (fun value -> this.Yield value))

    /// <summary><c>yield! source</c> of a <c>seq</c>.</summary>
    member inline this.YieldFrom(source: seq<'T>) : TaskSeqCode<'T> =
        this.For(source, (fun value -> this.Yield value))

    /// <summary><c>use resource = ...</c> of an IAsyncDisposable: DisposeAsync is awaited when the
    /// scope ends, or when the consumer disposes the enumerator while the body is inside it.</summary>
    member inline _.Using(resource: 'Resource, body: 'Resource -> TaskSeqCode<'T>) : TaskSeqCode<'T>
        when 'Resource :> IAsyncDisposable =
        TaskSeqCode<'T>(fun sm ->
            sm.Data.Push(TaskSeqAsyncDisposableNode resource)
            ResumableCode
                .TryFinallyAsync(
                    TaskSeqCode<'T>(fun sm -> (body resource).Invoke(&sm)),
                    TaskSeqCode<'T>(fun sm ->
                        sm.Data.Pop()
                        if isNull (box resource) then
                            true
                        else
                            TaskSeqBuilder
                                .AwaitThen((fun _ -> resource.DisposeAsync().GetAwaiter()), (fun () -> ResumableCode.Zero()))
                                .Invoke(&sm))
                )
                .Invoke(&sm))

    /// <summary><c>let! value = task</c>.</summary>
    member inline _.Bind(task: Task<'Result>, [<InlineIfLambda>] continuation: 'Result -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        TaskSeqBuilder.AwaitThen((fun _ -> task.GetAwaiter()), continuation)

    /// <summary><c>let! value = valueTask</c>.</summary>
    member inline _.Bind(task: ValueTask<'Result>, [<InlineIfLambda>] continuation: 'Result -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        TaskSeqBuilder.AwaitThen((fun _ -> task.GetAwaiter()), continuation)

    /// <summary><c>let! value = computation</c> of an Async, started on the current thread with the
    /// consumer's CancellationToken.</summary>
    member inline _.Bind(computation: Async<'Result>, [<InlineIfLambda>] continuation: 'Result -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        TaskSeqBuilder.AwaitThen(
            (fun data -> Async.StartImmediateAsTask(computation, data.Token).GetAwaiter()),
            continuation
        )

    /// <summary><c>let! token = TaskSeq.cancellationToken</c>: the consumer's CancellationToken.</summary>
    member inline _.Bind(_: TaskSeqCancellationToken, [<InlineIfLambda>] continuation: CancellationToken -> TaskSeqCode<'T>) : TaskSeqCode<'T> =
        TaskSeqCode<'T>(fun sm -> (continuation sm.Data.Token).Invoke(&sm))

/// <summary>The <c>taskSeq { }</c> builder and its lower-priority overloads.</summary>
[<AutoOpen>]
module TaskSeqBuilderModule =

    /// <summary>Builds a task sequence (<c>IAsyncEnumerable&lt;'T&gt;</c>) with computation expression syntax.</summary>
    let taskSeq = TaskSeqBuilder()

    // An extension member loses overload resolution to an intrinsic one. So a resource that is
    // both IDisposable and IAsyncDisposable (a Stream) is disposed asynchronously, and
    // `let! x = t` picks the typed Task<'T> overload; the generic awaitable overload below gives
    // no parameter type of its own, so F# can still infer a continuation's parameter from the
    // typed ones (`use! r = Task.FromResult(new Resource())` needs no annotation).
    type TaskSeqBuilder with

        /// <summary><c>let!</c>/<c>do!</c> on any awaitable: Task, ValueTask, Task.Yield(),
        /// ConfigureAwait(false)...</summary>
        [<NoEagerConstraintApplication>]
        member inline _.Bind< ^Awaitable, ^Awaiter, 'Result, 'T
            when ^Awaitable: (member GetAwaiter: unit -> ^Awaiter)
            and ^Awaiter :> ICriticalNotifyCompletion
            and ^Awaiter: (member get_IsCompleted: unit -> bool)
            and ^Awaiter: (member GetResult: unit -> 'Result)>
            (awaitable: ^Awaitable, [<InlineIfLambda>] continuation: 'Result -> TaskSeqCode<'T>)
            : TaskSeqCode<'T> =
            TaskSeqBuilder.AwaitThen((fun _ -> (^Awaitable: (member GetAwaiter: unit -> ^Awaiter) awaitable)), continuation)

        /// <summary><c>use resource = ...</c> of an IDisposable: disposed when the scope ends, or when
        /// the consumer disposes the enumerator while the body is inside it.</summary>
        member inline _.Using(resource: 'Resource, body: 'Resource -> TaskSeqCode<'T>) : TaskSeqCode<'T>
            when 'Resource :> IDisposable =
            TaskSeqCode<'T>(fun sm ->
                sm.Data.Push(TaskSeqDisposableNode resource)
                ResumableCode
                    .TryFinally(
                        TaskSeqCode<'T>(fun sm -> (body resource).Invoke(&sm)),
                        TaskSeqCode<'T>(fun sm ->
                            sm.Data.Pop()
                            if not (isNull (box resource)) then resource.Dispose()
                            true)
                    )
                    .Invoke(&sm))
