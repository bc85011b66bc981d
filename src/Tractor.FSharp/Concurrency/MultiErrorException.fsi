namespace TractorNet

open System

/// <summary>
/// Several errors that happened together, e.g. in two children of one <see cref="T:TractorNet.TaskNursery"/>.
/// A nursery raises a single error as itself; two or more become one <c>MultiErrorException</c> holding
/// all of them, in the order they happened, in <see cref="P:System.AggregateException.InnerExceptions"/>.
/// </summary>
/// <remarks>
/// It is an <see cref="T:System.AggregateException"/>, so code that already catches those keeps working.
/// Nothing is flattened: an error that is itself a <c>MultiErrorException</c> (a failed inner nursery) stays
/// nested, so the tree of failures is visible; call <c>Flatten()</c> to get the leaves.
/// </remarks>
[<Sealed>]
type MultiErrorException =
    inherit AggregateException

    /// <summary>Wraps <paramref name="errors"/> (at least one) with a message that counts them.</summary>
    new: errors: exn seq -> MultiErrorException

    new: message: string * errors: exn seq -> MultiErrorException
