// OpenContextAsync: one overload per context-function shape (Task<TResult>, Task) and arity 0..3 of extra arguments.
using Microsoft.FSharp.Core;
using TractorNet.Runtime;

namespace TractorNet;

public partial class ActorPortal
{
    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task{TResult}"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int, int&gt;(Server.PingPong, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <typeparam name="TResult">The function's result type.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted, TResult>> OpenContextAsync<TStarted, TResult>(Func<Context<TStarted>, Task<TResult>> function, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenValueContext<TStarted, TResult>(StaticFunction.PrepareContext(function, typeof(TResult)), options, cancellationToken);

    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task{TResult}"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int, int&gt;(Server.PingPong, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <typeparam name="T1">The type of the function's first parameter after the context.</typeparam>
    /// <typeparam name="TResult">The function's result type.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="arg1">The function's first argument after the context (serialised).</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted, TResult>> OpenContextAsync<TStarted, T1, TResult>(Func<Context<TStarted>, T1, Task<TResult>> function, T1 arg1, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenValueContext<TStarted, TResult>(StaticFunction.PrepareContext(function, typeof(TResult), arg1), options, cancellationToken);

    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task{TResult}"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int, int&gt;(Server.PingPong, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <typeparam name="T1">The type of the function's first parameter after the context.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter after the context.</typeparam>
    /// <typeparam name="TResult">The function's result type.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="arg1">The function's first argument after the context (serialised).</param>
    /// <param name="arg2">The function's second argument after the context (serialised).</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted, TResult>> OpenContextAsync<TStarted, T1, T2, TResult>(Func<Context<TStarted>, T1, T2, Task<TResult>> function, T1 arg1, T2 arg2, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenValueContext<TStarted, TResult>(StaticFunction.PrepareContext(function, typeof(TResult), arg1, arg2), options, cancellationToken);

    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task{TResult}"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int, int&gt;(Server.PingPong, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <typeparam name="T1">The type of the function's first parameter after the context.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter after the context.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter after the context.</typeparam>
    /// <typeparam name="TResult">The function's result type.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="arg1">The function's first argument after the context (serialised).</param>
    /// <param name="arg2">The function's second argument after the context (serialised).</param>
    /// <param name="arg3">The function's third argument after the context (serialised).</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted, TResult>> OpenContextAsync<TStarted, T1, T2, T3, TResult>(Func<Context<TStarted>, T1, T2, T3, Task<TResult>> function, T1 arg1, T2 arg2, T3 arg3, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenValueContext<TStarted, TResult>(StaticFunction.PrepareContext(function, typeof(TResult), arg1, arg2, arg3), options, cancellationToken);

    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int&gt;(Server.Serve, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted>> OpenContextAsync<TStarted>(Func<Context<TStarted>, Task> function, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenVoidContext<TStarted>(StaticFunction.PrepareContext(function, typeof(Unit)), options, cancellationToken);

    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int&gt;(Server.Serve, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <typeparam name="T1">The type of the function's first parameter after the context.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="arg1">The function's first argument after the context (serialised).</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted>> OpenContextAsync<TStarted, T1>(Func<Context<TStarted>, T1, Task> function, T1 arg1, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenVoidContext<TStarted>(StaticFunction.PrepareContext(function, typeof(Unit), arg1), options, cancellationToken);

    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int&gt;(Server.Serve, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <typeparam name="T1">The type of the function's first parameter after the context.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter after the context.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="arg1">The function's first argument after the context (serialised).</param>
    /// <param name="arg2">The function's second argument after the context (serialised).</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted>> OpenContextAsync<TStarted, T1, T2>(Func<Context<TStarted>, T1, T2, Task> function, T1 arg1, T2 arg2, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenVoidContext<TStarted>(StaticFunction.PrepareContext(function, typeof(Unit), arg1, arg2), options, cancellationToken);

    /// <summary>
    /// Opens a context with <paramref name="function"/> (a static context function returning a <see cref="Task"/>,
    /// whose first parameter is the callee's <see cref="Context{TStarted}"/>) in the actor and waits for its
    /// <c>ctx.Started(value)</c>. Leave the context with <c>await using</c>.
    /// </summary>
    /// <remarks>C# cannot infer <typeparamref name="TStarted"/> from a method group: give the type arguments,
    /// e.g. <c>portal.OpenContextAsync&lt;int, int&gt;(Server.Serve, 10)</c> (the delegate's types in order).</remarks>
    /// <typeparam name="TStarted">The type of the callee's <c>Started</c> value.</typeparam>
    /// <typeparam name="T1">The type of the function's first parameter after the context.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter after the context.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter after the context.</typeparam>
    /// <param name="function">A static method group whose first parameter is a <see cref="Context{TStarted}"/>; not a lambda.</param>
    /// <param name="arg1">The function's first argument after the context (serialised).</param>
    /// <param name="arg2">The function's second argument after the context (serialised).</param>
    /// <param name="arg3">The function's third argument after the context (serialised).</param>
    /// <param name="options">The stream's buffer size and overrun policy; by default backpressure with an 8192-unit window (an item takes one unit plus one per KiB).</param>
    /// <param name="cancellationToken">Cancels the context (in the actor too), while it opens and while it runs.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static context function, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed before calling <c>Started</c> (or is not enabled in the actor).</exception>
    /// <exception cref="InvalidOperationException">The function returned without calling <c>Started</c>.</exception>
    public Task<ActorContext<TStarted>> OpenContextAsync<TStarted, T1, T2, T3>(Func<Context<TStarted>, T1, T2, T3, Task> function, T1 arg1, T2 arg2, T3 arg3, StreamOptions? options = null, CancellationToken cancellationToken = default) =>
        OpenVoidContext<TStarted>(StaticFunction.PrepareContext(function, typeof(Unit), arg1, arg2, arg3), options, cancellationToken);

    async Task<ActorContext<TStarted, TResult>> OpenValueContext<TStarted, TResult>(
        PreparedCall call, StreamOptions? options, CancellationToken cancellationToken)
    {
        var token = CallToken.Of(nurseryToken, cancellationToken);
        try
        {
            return new(await OpenPortalContext<TStarted, TResult>(call, options, token.Token).ConfigureAwait(false), token);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    async Task<ActorContext<TStarted>> OpenVoidContext<TStarted>(
        PreparedCall call, StreamOptions? options, CancellationToken cancellationToken)
    {
        var token = CallToken.Of(nurseryToken, cancellationToken);
        try
        {
            return new(await OpenPortalContext<TStarted, Unit>(call, options, token.Token).ConfigureAwait(false), token);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    async Task<PortalContext<TStarted, TResult>> OpenPortalContext<TStarted, TResult>(
        PreparedCall call, StreamOptions? options, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var rt = ActorRuntime.Current;
        try
        {
            return await StreamingCalls.openContext<TStarted, TResult>(
                portal.Peer, portal.DeathOf, rt.Codec, rt.Id, call, options ?? StreamOptions.Default, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (ct.IsCancellationRequested && e is not RemoteActorError and not OperationCanceledException)
        {
            // As for Run: cancelling the nursery reaps the actor, which can break the connection under the opening.
            throw new OperationCanceledException($"opening a context in actor '{portal.Actor}' was cancelled", e, ct);
        }
    }
}
