// The Run overloads, one per function shape (Task<T>, Task, ValueTask<T>, ValueTask, value) and arity 0..3.
namespace TractorNet;

public partial class ActorPortal
{
    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T>(Func<Task<T>> function, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T>(Func<T1, Task<T>> function, T1 arg1, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T2, T>(Func<T1, T2, Task<T>> function, T1 arg1, T2 arg2, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1, arg2);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T2, T3, T>(Func<T1, T2, T3, Task<T>> function, T1 arg1, T2 arg2, T3 arg3, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1, arg2, arg3);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run(Func<Task> function, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run<T1>(Func<T1, Task> function, T1 arg1, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken, arg1);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run<T1, T2>(Func<T1, T2, Task> function, T1 arg1, T2 arg2, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken, arg1, arg2);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run<T1, T2, T3>(Func<T1, T2, T3, Task> function, T1 arg1, T2 arg2, T3 arg3, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken, arg1, arg2, arg3);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T>(Func<ValueTask<T>> function, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T>(Func<T1, ValueTask<T>> function, T1 arg1, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T2, T>(Func<T1, T2, ValueTask<T>> function, T1 arg1, T2 arg2, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1, arg2);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T2, T3, T>(Func<T1, T2, T3, ValueTask<T>> function, T1 arg1, T2 arg2, T3 arg3, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1, arg2, arg3);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run(Func<ValueTask> function, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run<T1>(Func<T1, ValueTask> function, T1 arg1, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken, arg1);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run<T1, T2>(Func<T1, T2, ValueTask> function, T1 arg1, T2 arg2, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken, arg1, arg2);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in the actor and waits until it has finished.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task Run<T1, T2, T3>(Func<T1, T2, T3, ValueTask> function, T1 arg1, T2 arg2, T3 arg3, CancellationToken cancellationToken = default) =>
        CallVoid(function, cancellationToken, arg1, arg2, arg3);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns its value synchronously) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T>(Func<T> function, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns its value synchronously) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T>(Func<T1, T> function, T1 arg1, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns its value synchronously) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T2, T>(Func<T1, T2, T> function, T1 arg1, T2 arg2, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1, arg2);

    /// <summary>
    /// Calls <paramref name="function"/> (a static method that returns its value synchronously) in the actor and returns its value.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.Add</c>; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="cancellationToken">Cancels the call, in the actor too.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument cannot be serialised.</exception>
    /// <exception cref="RemoteActorError">The function failed in the actor (or is not enabled there).</exception>
    public Task<T> Run<T1, T2, T3, T>(Func<T1, T2, T3, T> function, T1 arg1, T2 arg2, T3 arg3, CancellationToken cancellationToken = default) =>
        CallValue<T>(function, cancellationToken, arg1, arg2, arg3);
}
