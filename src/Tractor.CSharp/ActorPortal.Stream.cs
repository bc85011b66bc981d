// OpenStream: one-way streams from static functions returning IAsyncEnumerable<T>, arity 0..3.
using TractorNet.Runtime;

namespace TractorNet;

public partial class ActorPortal
{
    /// <summary>
    /// A one-way stream of the items <paramref name="function"/> (a static method returning an
    /// <see cref="IAsyncEnumerable{T}"/>, e.g. an <c>async IAsyncEnumerable&lt;T&gt;</c> iterator) yields in the actor:
    /// <c>await foreach</c> it. Nothing runs until the loop starts; breaking out cancels the remote function.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Numbers.Count</c>; not a lambda. In the actor it sees
    /// cancellation through <see cref="CancelScope.CurrentToken"/>.</param>
    /// <param name="options">The buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method returning
    /// <see cref="IAsyncEnumerable{T}"/> of exactly <typeparamref name="T"/>, or an argument cannot be serialised.</exception>
    public ActorStream<T> OpenStream<T>(Func<IAsyncEnumerable<T>> function, StreamOptions? options = null) =>
        OpenStreamOf<T>(StaticFunction.PrepareStream(function), options);

    /// <summary>
    /// A one-way stream of the items <paramref name="function"/> (a static method returning an
    /// <see cref="IAsyncEnumerable{T}"/>, e.g. an <c>async IAsyncEnumerable&lt;T&gt;</c> iterator) yields in the actor:
    /// <c>await foreach</c> it. Nothing runs until the loop starts; breaking out cancels the remote function.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Numbers.Count</c>; not a lambda. In the actor it sees
    /// cancellation through <see cref="CancelScope.CurrentToken"/>.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="options">The buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method returning
    /// <see cref="IAsyncEnumerable{T}"/> of exactly <typeparamref name="T"/>, or an argument cannot be serialised.</exception>
    public ActorStream<T> OpenStream<T1, T>(Func<T1, IAsyncEnumerable<T>> function, T1 arg1, StreamOptions? options = null) =>
        OpenStreamOf<T>(StaticFunction.PrepareStream(function, arg1), options);

    /// <summary>
    /// A one-way stream of the items <paramref name="function"/> (a static method returning an
    /// <see cref="IAsyncEnumerable{T}"/>, e.g. an <c>async IAsyncEnumerable&lt;T&gt;</c> iterator) yields in the actor:
    /// <c>await foreach</c> it. Nothing runs until the loop starts; breaking out cancels the remote function.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Numbers.Count</c>; not a lambda. In the actor it sees
    /// cancellation through <see cref="CancelScope.CurrentToken"/>.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="options">The buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method returning
    /// <see cref="IAsyncEnumerable{T}"/> of exactly <typeparamref name="T"/>, or an argument cannot be serialised.</exception>
    public ActorStream<T> OpenStream<T1, T2, T>(Func<T1, T2, IAsyncEnumerable<T>> function, T1 arg1, T2 arg2, StreamOptions? options = null) =>
        OpenStreamOf<T>(StaticFunction.PrepareStream(function, arg1, arg2), options);

    /// <summary>
    /// A one-way stream of the items <paramref name="function"/> (a static method returning an
    /// <see cref="IAsyncEnumerable{T}"/>, e.g. an <c>async IAsyncEnumerable&lt;T&gt;</c> iterator) yields in the actor:
    /// <c>await foreach</c> it. Nothing runs until the loop starts; breaking out cancels the remote function.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <typeparam name="T">The item type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Numbers.Count</c>; not a lambda. In the actor it sees
    /// cancellation through <see cref="CancelScope.CurrentToken"/>.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="options">The buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method returning
    /// <see cref="IAsyncEnumerable{T}"/> of exactly <typeparamref name="T"/>, or an argument cannot be serialised.</exception>
    public ActorStream<T> OpenStream<T1, T2, T3, T>(Func<T1, T2, T3, IAsyncEnumerable<T>> function, T1 arg1, T2 arg2, T3 arg3, StreamOptions? options = null) =>
        OpenStreamOf<T>(StaticFunction.PrepareStream(function, arg1, arg2, arg3), options);

    ActorStream<T> OpenStreamOf<T>(PreparedCall call, StreamOptions? options)
    {
        var rt = ActorRuntime.Current;
        var stream = StreamingCalls.openStream<T>(portal.Peer, portal.DeathOf, rt.Codec, rt.Id, call, options ?? StreamOptions.Default);
        return new ActorStream<T>(stream, nurseryToken, portal.Actor);
    }
}
