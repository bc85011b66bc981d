using Microsoft.FSharp.Core;

namespace TractorNet;

public static partial class Tractor
{
    /// <summary>
    /// Opens an actor nursery for <c>await using</c>; end the body with <see cref="JoinableNursery.JoinAsync"/>:
    /// <code>
    /// await using var n = await Tractor.OpenNursery();
    /// var portal = await n.RunInActor(Work.BurnCpu);
    /// int pid = await portal.Result();
    /// await n.JoinAsync();
    /// </code>
    /// Disposing without a join (the body threw) cancels and reaps every child. The first call in a process starts
    /// the root actor.
    /// </summary>
    public static Task<JoinableNursery> OpenNursery() => JoinableNursery.Open();

    /// <summary>
    /// Opens an actor nursery, runs <paramref name="body"/> in it and completes once every child actor has finished,
    /// failed or been cancelled and its process has been reaped (trio's <c>async with open_nursery()</c>). The first
    /// error, in the body or a child, cancels everything; one error is rethrown as itself, several as a
    /// <see cref="MultiErrorException"/>. The nursery's own cancellation (<see cref="Nursery.Cancel"/>) is absorbed.
    /// </summary>
    /// <param name="body">Starts actors with <c>n.RunInActor(...)</c> / <c>n.StartActor(...)</c>.</param>
    public static async Task OpenNursery(Func<Nursery, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        await OpenActorNursery<bool>(async n =>
        {
            try
            {
                await body(new Nursery(n)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (n.Tasks.CancelScope.CancelCalled)
            {
                // Cut short by the nursery's own cancellation: not an error (errors that caused it still surface).
            }
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Like <see cref="OpenNursery(Func{Nursery, Task})"/>, returning the body's value once every child has ended.
    /// </summary>
    /// <exception cref="OperationCanceledException">The nursery's own cancellation cut the body short, so there is
    /// no value.</exception>
    public static Task<T> OpenNursery<T>(Func<Nursery, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return OpenActorNursery<T>(n => body(new Nursery(n)));
    }

    /// <summary>The actor the calling code runs in: name, unique id, pid, parent. In a process that has not opened
    /// a nursery yet, this starts the root actor.</summary>
    public static ActorInfo CurrentActor =>
        new(TractorNet.Actor.id(), OptionModule.ToObj(TractorNet.Actor.parent()), TractorNet.Actor.cancellationToken());

    internal static Task<T> OpenActorNursery<T>(Func<ActorNursery, Task<T>> body) =>
        ActorNursery.Open(FuncConvert.FromFunc(body));
}
