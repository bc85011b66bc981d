namespace TractorNet

// Functions over task sequences, named and ordered as in FSharp.Control.TaskSeq. Producers are
// lazy task sequences (the consumer's CancellationToken flows through them); consumers return a
// Task and enumerate with CancellationToken.None.

open System
open System.Collections.Generic
open System.Threading
open System.Threading.Tasks

/// An empty task sequence without state: one shared instance per element type.
[<Sealed>]
type private EmptyTaskSeq<'T> private () =
    static member val Instance = EmptyTaskSeq<'T>()

    interface IAsyncEnumerable<'T> with
        member this.GetAsyncEnumerator(_) = this

    interface IAsyncEnumerator<'T> with
        member _.Current = Unchecked.defaultof<'T>
        member _.MoveNextAsync() = ValueTask<bool> false

    interface IAsyncDisposable with
        member _.DisposeAsync() = ValueTask()

/// A task sequence enumerated with a fixed CancellationToken.
[<Sealed>]
type private WithCancellation<'T>(source: IAsyncEnumerable<'T>, cancellationToken: CancellationToken) =
    interface IAsyncEnumerable<'T> with
        member _.GetAsyncEnumerator(_) = source.GetAsyncEnumerator cancellationToken

/// <summary>Functions over task sequences (<c>IAsyncEnumerable&lt;'T&gt;</c>), with the names and
/// argument orders of FSharp.Control.TaskSeq.</summary>
[<RequireQualifiedAccess>]
module TaskSeq =

    let inline private checkNonNull (name: string) (value: 'T) =
        if obj.ReferenceEquals(value, null) then nullArg name

    let inline private checkNonNegative (name: string) (count: int) =
        if count < 0 then
            invalidArg name $"The count must be non-negative, but was {count}."

    /// <summary>Inside <c>taskSeq { }</c>, <c>let! token = TaskSeq.cancellationToken</c> binds the
    /// CancellationToken the consumer passed to GetAsyncEnumerator.</summary>
    let cancellationToken = TaskSeqCancellationToken

    /// <summary>The task sequence <c>source</c>, always enumerated with <c>cancellationToken</c> (in
    /// place of the consumer's), e.g. in <c>for x in TaskSeq.withCancellation token source do</c>.</summary>
    let withCancellation (cancellationToken: CancellationToken) (source: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        WithCancellation(source, cancellationToken)

    // ---- Creating ----

    /// <summary>The empty task sequence.</summary>
    [<GeneralizableValue>]
    let empty<'T> : TaskSeq<'T> = EmptyTaskSeq<'T>.Instance

    /// <summary>A task sequence of one element.</summary>
    let singleton (value: 'T) : TaskSeq<'T> = taskSeq { yield value }

    /// <summary>A task sequence over a <c>seq</c>, enumerated lazily.</summary>
    let ofSeq (source: seq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        taskSeq { yield! source }

    /// <summary>A task sequence over an array.</summary>
    let ofArray (source: 'T array) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        taskSeq {
            let mutable i = 0
            while i < source.Length do
                yield source[i]
                i <- i + 1
        }

    /// <summary>A task sequence over a list.</summary>
    let ofList (source: 'T list) : TaskSeq<'T> =
        taskSeq {
            let mutable rest = source
            while not rest.IsEmpty do
                yield rest.Head
                rest <- rest.Tail
        }

    /// <summary>The task sequence <c>initializer 0, ..., initializer (count - 1)</c>, computed lazily.</summary>
    /// <exception cref="T:System.ArgumentException">When <c>count</c> is negative.</exception>
    let init (count: int) (initializer: int -> 'T) : TaskSeq<'T> =
        checkNonNegative (nameof count) count
        taskSeq {
            let mutable i = 0
            while i < count do
                yield initializer i
                i <- i + 1
        }

    // ---- Transforming ----

    /// <summary>Applies <c>mapper</c> to every element.</summary>
    let map (mapper: 'T -> 'U) (source: TaskSeq<'T>) : TaskSeq<'U> =
        checkNonNull (nameof source) source
        taskSeq {
            for value in source do
                yield mapper value
        }

    /// <summary>Applies an asynchronous <c>mapper</c> to every element, one at a time.</summary>
    let mapAsync (mapper: 'T -> #Task<'U>) (source: TaskSeq<'T>) : TaskSeq<'U> =
        checkNonNull (nameof source) source
        taskSeq {
            for value in source do
                let! mapped = (mapper value :> Task<'U>)
                yield mapped
        }

    /// <summary>Pairs every element with its zero-based index.</summary>
    let indexed (source: TaskSeq<'T>) : TaskSeq<int * 'T> =
        checkNonNull (nameof source) source
        taskSeq {
            let mutable i = 0
            for value in source do
                yield i, value
                i <- i + 1
        }

    /// <summary>Applies <c>binder</c> to every element and concatenates the resulting task sequences.</summary>
    let collect (binder: 'T -> #TaskSeq<'U>) (source: TaskSeq<'T>) : TaskSeq<'U> =
        checkNonNull (nameof source) source
        taskSeq {
            for value in source do
                yield! (binder value :> TaskSeq<'U>)
        }

    /// <summary>The elements for which <c>predicate</c> holds.</summary>
    let filter (predicate: 'T -> bool) (source: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        taskSeq {
            for value in source do
                if predicate value then yield value
        }

    /// <summary>The elements for which the asynchronous <c>predicate</c> holds.</summary>
    let filterAsync (predicate: 'T -> #Task<bool>) (source: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        taskSeq {
            for value in source do
                let! keep = (predicate value :> Task<bool>)
                if keep then yield value
        }

    /// <summary>The values <c>v</c> for which <c>chooser</c> returns <c>Some v</c>.</summary>
    let choose (chooser: 'T -> 'U option) (source: TaskSeq<'T>) : TaskSeq<'U> =
        checkNonNull (nameof source) source
        taskSeq {
            for value in source do
                match chooser value with
                | Some chosen -> yield chosen
                | None -> ()
        }

    /// <summary>The values <c>v</c> for which the asynchronous <c>chooser</c> returns <c>Some v</c>.</summary>
    let chooseAsync (chooser: 'T -> #Task<'U option>) (source: TaskSeq<'T>) : TaskSeq<'U> =
        checkNonNull (nameof source) source
        taskSeq {
            for value in source do
                let! choice = (chooser value :> Task<'U option>)
                match choice with
                | Some chosen -> yield chosen
                | None -> ()
        }

    /// <summary>The first <c>count</c> elements; the source is not asked for more.</summary>
    /// <exception cref="T:System.ArgumentException">When <c>count</c> is negative.</exception>
    /// <exception cref="T:System.InvalidOperationException">While enumerating, when the source has fewer than <c>count</c> elements.</exception>
    let take (count: int) (source: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        checkNonNegative (nameof count) count
        taskSeq {
            if count > 0 then
                let! token = cancellationToken
                use e = source.GetAsyncEnumerator token
                let mutable remaining = count
                while remaining > 0 do
                    let! more = e.MoveNextAsync()
                    if not more then
                        raise (InvalidOperationException $"The input task sequence has fewer than {count} elements.")
                    remaining <- remaining - 1
                    yield e.Current
        }

    /// <summary>At most the first <c>count</c> elements; the source is not asked for more.</summary>
    let truncate (count: int) (source: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        taskSeq {
            if count > 0 then
                let! token = cancellationToken
                use e = source.GetAsyncEnumerator token
                let mutable remaining = count
                while remaining > 0 do
                    let! more = e.MoveNextAsync()
                    if more then
                        remaining <- remaining - 1
                        yield e.Current
                    else
                        remaining <- 0
        }

    /// <summary>All elements after the first <c>count</c>.</summary>
    /// <exception cref="T:System.ArgumentException">When <c>count</c> is negative.</exception>
    /// <exception cref="T:System.InvalidOperationException">While enumerating, when the source has fewer than <c>count</c> elements.</exception>
    let skip (count: int) (source: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        checkNonNegative (nameof count) count
        taskSeq {
            let! token = cancellationToken
            use e = source.GetAsyncEnumerator token
            let mutable skipped = 0
            while skipped < count do
                let! more = e.MoveNextAsync()
                if not more then
                    raise (InvalidOperationException $"The input task sequence has fewer than {count} elements to skip.")
                skipped <- skipped + 1
            let mutable go = true
            while go do
                let! more = e.MoveNextAsync()
                if more then yield e.Current else go <- false
        }

    /// <summary>The elements before the first one for which <c>predicate</c> fails.</summary>
    let takeWhile (predicate: 'T -> bool) (source: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source) source
        taskSeq {
            let! token = cancellationToken
            use e = source.GetAsyncEnumerator token
            let mutable go = true
            while go do
                let! more = e.MoveNextAsync()
                if more && predicate e.Current then yield e.Current else go <- false
        }

    /// <summary>The elements of <c>source1</c>, then those of <c>source2</c>.</summary>
    let append (source1: TaskSeq<'T>) (source2: TaskSeq<'T>) : TaskSeq<'T> =
        checkNonNull (nameof source1) source1
        checkNonNull (nameof source2) source2
        taskSeq {
            yield! source1
            yield! source2
        }

    /// <summary>The elements of every inner task sequence, in order.</summary>
    let concat (sources: TaskSeq<#TaskSeq<'T>>) : TaskSeq<'T> =
        checkNonNull (nameof sources) sources
        taskSeq {
            for source in sources do
                yield! (source :> TaskSeq<'T>)
        }

    /// <summary>Pairs of elements at the same position; ends with the shorter source.</summary>
    let zip (source1: TaskSeq<'T>) (source2: TaskSeq<'U>) : TaskSeq<'T * 'U> =
        checkNonNull (nameof source1) source1
        checkNonNull (nameof source2) source2
        taskSeq {
            let! token = cancellationToken
            use e1 = source1.GetAsyncEnumerator token
            use e2 = source2.GetAsyncEnumerator token
            let mutable go = true
            while go do
                let! more1 = e1.MoveNextAsync()
                if more1 then
                    let! more2 = e2.MoveNextAsync()
                    if more2 then yield e1.Current, e2.Current else go <- false
                else
                    go <- false
        }

    // ---- Consuming ----

    /// <summary>Runs <c>action</c> on every element.</summary>
    let iter (action: 'T -> unit) (source: TaskSeq<'T>) : Task<unit> =
        checkNonNull (nameof source) source
        task {
            for value in source do
                action value
        }

    /// <summary>Runs the asynchronous <c>action</c> on every element, one at a time.</summary>
    let iterAsync (action: 'T -> #Task<unit>) (source: TaskSeq<'T>) : Task<unit> =
        checkNonNull (nameof source) source
        task {
            for value in source do
                do! (action value :> Task<unit>)
        }

    /// <summary>Threads a state through every element.</summary>
    let fold (folder: 'State -> 'T -> 'State) (state: 'State) (source: TaskSeq<'T>) : Task<'State> =
        checkNonNull (nameof source) source
        task {
            let mutable acc = state
            for value in source do
                acc <- folder acc value
            return acc
        }

    /// <summary>Threads a state through every element with an asynchronous <c>folder</c>.</summary>
    let foldAsync (folder: 'State -> 'T -> #Task<'State>) (state: 'State) (source: TaskSeq<'T>) : Task<'State> =
        checkNonNull (nameof source) source
        task {
            let mutable acc = state
            for value in source do
                let! next = (folder acc value :> Task<'State>)
                acc <- next
            return acc
        }

    /// <summary>The sum of the elements (zero when empty).</summary>
    let inline sum (source: TaskSeq< ^T >) : Task< ^T > =
        fold (fun acc value -> acc + value) LanguagePrimitives.GenericZero source

    /// <summary>The number of elements.</summary>
    let length (source: TaskSeq<'T>) : Task<int> = fold (fun n _ -> n + 1) 0 source

    /// <summary>Whether the sequence has no element (asks for one at most).</summary>
    let isEmpty (source: TaskSeq<'T>) : Task<bool> =
        checkNonNull (nameof source) source
        task {
            use e = source.GetAsyncEnumerator CancellationToken.None
            let! more = e.MoveNextAsync()
            return not more
        }

    /// <summary>Whether <c>predicate</c> holds for some element; stops at the first that matches.</summary>
    let exists (predicate: 'T -> bool) (source: TaskSeq<'T>) : Task<bool> =
        checkNonNull (nameof source) source
        task {
            use e = source.GetAsyncEnumerator CancellationToken.None
            let mutable found = false
            let mutable go = true
            while go do
                let! more = e.MoveNextAsync()
                if not more then go <- false
                elif predicate e.Current then
                    found <- true
                    go <- false
            return found
        }

    /// <summary>Whether <c>predicate</c> holds for every element; stops at the first that fails.</summary>
    let forall (predicate: 'T -> bool) (source: TaskSeq<'T>) : Task<bool> =
        checkNonNull (nameof source) source
        task {
            let! counterexample = exists (predicate >> not) source
            return not counterexample
        }

    /// <summary>The first element, if any (asks for one at most).</summary>
    let tryHead (source: TaskSeq<'T>) : Task<'T option> =
        checkNonNull (nameof source) source
        task {
            use e = source.GetAsyncEnumerator CancellationToken.None
            let! more = e.MoveNextAsync()
            return if more then Some e.Current else None
        }

    /// The element a `try…` lookup found; an empty sequence is an ArgumentException.
    let private requireElement (find: unit -> Task<'T option>) : Task<'T> =
        task {
            match! find () with
            | Some value -> return value
            | None -> return invalidArg "source" "The input task sequence was empty."
        }

    /// <summary>The first element.</summary>
    /// <exception cref="T:System.ArgumentException">When the sequence is empty.</exception>
    let head (source: TaskSeq<'T>) : Task<'T> = requireElement (fun () -> tryHead source)

    /// <summary>The last element, if any.</summary>
    let tryLast (source: TaskSeq<'T>) : Task<'T option> =
        checkNonNull (nameof source) source
        task {
            let mutable last = None
            for value in source do
                last <- Some value
            return last
        }

    /// <summary>The last element.</summary>
    /// <exception cref="T:System.ArgumentException">When the sequence is empty.</exception>
    let last (source: TaskSeq<'T>) : Task<'T> = requireElement (fun () -> tryLast source)

    /// <summary>All elements in an array.</summary>
    let toArrayAsync (source: TaskSeq<'T>) : Task<'T array> =
        checkNonNull (nameof source) source
        System.Linq.AsyncEnumerable.ToArrayAsync(source).AsTask()

    /// <summary>All elements in a list.</summary>
    let toListAsync (source: TaskSeq<'T>) : Task<'T list> =
        checkNonNull (nameof source) source
        task {
            let items = ResizeArray<'T>()
            for value in source do
                items.Add value
            return List.ofSeq items
        }

    /// <summary>All elements in an array, blocking the calling thread until the sequence ends.
    /// Prefer <c>toArrayAsync</c>.</summary>
    let toArray (source: TaskSeq<'T>) : 'T array = (toArrayAsync source).GetAwaiter().GetResult()

    /// <summary>All elements in a list, blocking the calling thread until the sequence ends.
    /// Prefer <c>toListAsync</c>.</summary>
    let toList (source: TaskSeq<'T>) : 'T list = (toListAsync source).GetAwaiter().GetResult()
