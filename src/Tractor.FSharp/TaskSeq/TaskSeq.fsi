namespace TractorNet

open System.Threading
open System.Threading.Tasks

/// <summary>Functions over task sequences (<c>IAsyncEnumerable&lt;'T&gt;</c>), with the names and
/// argument orders of FSharp.Control.TaskSeq.</summary>
[<RequireQualifiedAccess>]
module TaskSeq =

    /// <summary>Inside <c>taskSeq { }</c>, <c>let! token = TaskSeq.cancellationToken</c> binds the
    /// CancellationToken the consumer passed to GetAsyncEnumerator.</summary>
    val cancellationToken: TaskSeqCancellationToken

    /// <summary>The task sequence <c>source</c>, always enumerated with <c>cancellationToken</c> (in
    /// place of the consumer's), e.g. in <c>for x in TaskSeq.withCancellation token source do</c>.</summary>
    val withCancellation: cancellationToken: CancellationToken -> source: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>The empty task sequence.</summary>
    [<GeneralizableValue>]
    val empty<'T> : TaskSeq<'T>

    /// <summary>A task sequence of one element.</summary>
    val singleton: value: 'T -> TaskSeq<'T>

    /// <summary>A task sequence over a <c>seq</c>, enumerated lazily.</summary>
    val ofSeq: source: 'T seq -> TaskSeq<'T>

    /// <summary>A task sequence over an array.</summary>
    val ofArray: source: 'T array -> TaskSeq<'T>

    /// <summary>A task sequence over a list.</summary>
    val ofList: source: 'T list -> TaskSeq<'T>

    /// <summary>The task sequence <c>initializer 0, ..., initializer (count - 1)</c>, computed lazily.</summary>
    /// <exception cref="T:System.ArgumentException">When <c>count</c> is negative.</exception>
    val init: count: int -> initializer: (int -> 'T) -> TaskSeq<'T>

    /// <summary>Applies <c>mapper</c> to every element.</summary>
    val map: mapper: ('T -> 'U) -> source: TaskSeq<'T> -> TaskSeq<'U>

    /// <summary>Applies an asynchronous <c>mapper</c> to every element, one at a time.</summary>
    val mapAsync: mapper: ('T -> #Task<'U>) -> source: TaskSeq<'T> -> TaskSeq<'U>

    /// <summary>Pairs every element with its zero-based index.</summary>
    val indexed: source: TaskSeq<'T> -> TaskSeq<int * 'T>

    /// <summary>Applies <c>binder</c> to every element and concatenates the resulting task sequences.</summary>
    val collect: binder: ('T -> #TaskSeq<'U>) -> source: TaskSeq<'T> -> TaskSeq<'U>

    /// <summary>The elements for which <c>predicate</c> holds.</summary>
    val filter: predicate: ('T -> bool) -> source: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>The elements for which the asynchronous <c>predicate</c> holds.</summary>
    val filterAsync: predicate: ('T -> #Task<bool>) -> source: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>The values <c>v</c> for which <c>chooser</c> returns <c>Some v</c>.</summary>
    val choose: chooser: ('T -> 'U option) -> source: TaskSeq<'T> -> TaskSeq<'U>

    /// <summary>The values <c>v</c> for which the asynchronous <c>chooser</c> returns <c>Some v</c>.</summary>
    val chooseAsync: chooser: ('T -> #Task<'U option>) -> source: TaskSeq<'T> -> TaskSeq<'U>

    /// <summary>The first <c>count</c> elements; the source is not asked for more.</summary>
    /// <exception cref="T:System.ArgumentException">When <c>count</c> is negative.</exception>
    /// <exception cref="T:System.InvalidOperationException">While enumerating, when the source has fewer than <c>count</c> elements.</exception>
    val take: count: int -> source: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>At most the first <c>count</c> elements; the source is not asked for more.</summary>
    val truncate: count: int -> source: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>All elements after the first <c>count</c>.</summary>
    /// <exception cref="T:System.ArgumentException">When <c>count</c> is negative.</exception>
    /// <exception cref="T:System.InvalidOperationException">While enumerating, when the source has fewer than <c>count</c> elements.</exception>
    val skip: count: int -> source: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>The elements before the first one for which <c>predicate</c> fails.</summary>
    val takeWhile: predicate: ('T -> bool) -> source: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>The elements of <c>source1</c>, then those of <c>source2</c>.</summary>
    val append: source1: TaskSeq<'T> -> source2: TaskSeq<'T> -> TaskSeq<'T>

    /// <summary>The elements of every inner task sequence, in order.</summary>
    val concat: sources: TaskSeq<#TaskSeq<'T>> -> TaskSeq<'T>

    /// <summary>Pairs of elements at the same position; ends with the shorter source.</summary>
    val zip: source1: TaskSeq<'T> -> source2: TaskSeq<'U> -> TaskSeq<'T * 'U>

    /// <summary>Runs <c>action</c> on every element.</summary>
    val iter: action: ('T -> unit) -> source: TaskSeq<'T> -> Task<unit>

    /// <summary>Runs the asynchronous <c>action</c> on every element, one at a time.</summary>
    val iterAsync: action: ('T -> #Task<unit>) -> source: TaskSeq<'T> -> Task<unit>

    /// <summary>Threads a state through every element.</summary>
    val fold: folder: ('State -> 'T -> 'State) -> state: 'State -> source: TaskSeq<'T> -> Task<'State>

    /// <summary>Threads a state through every element with an asynchronous <c>folder</c>.</summary>
    val foldAsync: folder: ('State -> 'T -> #Task<'State>) -> state: 'State -> source: TaskSeq<'T> -> Task<'State>

    /// <summary>The sum of the elements (zero when empty).</summary>
    val inline sum<^T
                     when ^T: (static member (+) : ^T * ^T -> ^T) and
                          ^T: (static member Zero: ^T)> :
      source: TaskSeq<^T> -> Task<^T>

    /// <summary>The number of elements.</summary>
    val length: source: TaskSeq<'T> -> Task<int>

    /// <summary>Whether the sequence has no element (asks for one at most).</summary>
    val isEmpty: source: TaskSeq<'T> -> Task<bool>

    /// <summary>Whether <c>predicate</c> holds for some element; stops at the first that matches.</summary>
    val exists: predicate: ('T -> bool) -> source: TaskSeq<'T> -> Task<bool>

    /// <summary>Whether <c>predicate</c> holds for every element; stops at the first that fails.</summary>
    val forall: predicate: ('T -> bool) -> source: TaskSeq<'T> -> Task<bool>

    /// <summary>The first element, if any (asks for one at most).</summary>
    val tryHead: source: TaskSeq<'T> -> Task<'T option>

    /// <summary>The first element.</summary>
    /// <exception cref="T:System.ArgumentException">When the sequence is empty.</exception>
    val head: source: TaskSeq<'T> -> Task<'T>

    /// <summary>The last element, if any.</summary>
    val tryLast: source: TaskSeq<'T> -> Task<'T option>

    /// <summary>The last element.</summary>
    /// <exception cref="T:System.ArgumentException">When the sequence is empty.</exception>
    val last: source: TaskSeq<'T> -> Task<'T>

    /// <summary>All elements in an array.</summary>
    val toArrayAsync: source: TaskSeq<'T> -> Task<'T array>

    /// <summary>All elements in a list.</summary>
    val toListAsync: source: TaskSeq<'T> -> Task<'T list>

    /// <summary>All elements in an array, blocking the calling thread until the sequence ends.
    /// Prefer <c>toArrayAsync</c>.</summary>
    val toArray: source: TaskSeq<'T> -> 'T array

    /// <summary>All elements in a list, blocking the calling thread until the sequence ends.
    /// Prefer <c>toListAsync</c>.</summary>
    val toList: source: TaskSeq<'T> -> 'T list
