// The RunInActor overloads, one per function shape (Task<T>, Task, ValueTask<T>, ValueTask, value) and arity 0..3.
namespace TractorNet;

public partial class Nursery
{
    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T>(Func<Task<T>> function, string? name = null) =>
        SpawnValue<T>(function, name);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T>(Func<T1, Task<T>> function, T1 arg1, string? name = null) =>
        SpawnValue<T>(function, name, arg1);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T2, T>(Func<T1, T2, Task<T>> function, T1 arg1, T2 arg2, string? name = null) =>
        SpawnValue<T>(function, name, arg1, arg2);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T2, T3, T>(Func<T1, T2, T3, Task<T>> function, T1 arg1, T2 arg2, T3 arg3, string? name = null) =>
        SpawnValue<T>(function, name, arg1, arg2, arg3);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor(Func<Task> function, string? name = null) =>
        SpawnVoid(function, name);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor<T1>(Func<T1, Task> function, T1 arg1, string? name = null) =>
        SpawnVoid(function, name, arg1);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor<T1, T2>(Func<T1, T2, Task> function, T1 arg1, T2 arg2, string? name = null) =>
        SpawnVoid(function, name, arg1, arg2);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="Task"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor<T1, T2, T3>(Func<T1, T2, T3, Task> function, T1 arg1, T2 arg2, T3 arg3, string? name = null) =>
        SpawnVoid(function, name, arg1, arg2, arg3);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T>(Func<ValueTask<T>> function, string? name = null) =>
        SpawnValue<T>(function, name);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T>(Func<T1, ValueTask<T>> function, T1 arg1, string? name = null) =>
        SpawnValue<T>(function, name, arg1);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T2, T>(Func<T1, T2, ValueTask<T>> function, T1 arg1, T2 arg2, string? name = null) =>
        SpawnValue<T>(function, name, arg1, arg2);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask{TResult}"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T2, T3, T>(Func<T1, T2, T3, ValueTask<T>> function, T1 arg1, T2 arg2, T3 arg3, string? name = null) =>
        SpawnValue<T>(function, name, arg1, arg2, arg3);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor(Func<ValueTask> function, string? name = null) =>
        SpawnVoid(function, name);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor<T1>(Func<T1, ValueTask> function, T1 arg1, string? name = null) =>
        SpawnVoid(function, name, arg1);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor<T1, T2>(Func<T1, T2, ValueTask> function, T1 arg1, T2 arg2, string? name = null) =>
        SpawnVoid(function, name, arg1, arg2);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns a <see cref="ValueTask"/>) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorTaskPortal> RunInActor<T1, T2, T3>(Func<T1, T2, T3, ValueTask> function, T1 arg1, T2 arg2, T3 arg3, string? name = null) =>
        SpawnVoid(function, name, arg1, arg2, arg3);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns its value synchronously) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T>(Func<T> function, string? name = null) =>
        SpawnValue<T>(function, name);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns its value synchronously) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T>(Func<T1, T> function, T1 arg1, string? name = null) =>
        SpawnValue<T>(function, name, arg1);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns its value synchronously) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T2, T>(Func<T1, T2, T> function, T1 arg1, T2 arg2, string? name = null) =>
        SpawnValue<T>(function, name, arg1, arg2);

    /// <summary>
    /// Runs <paramref name="function"/> (a static method that returns its value synchronously) in a new actor process; the portal's <c>Result()</c> is its outcome.
    /// The nursery waits for it, and its failure cancels the nursery.
    /// </summary>
    /// <typeparam name="T1">The type of the function's first parameter.</typeparam>
    /// <typeparam name="T2">The type of the function's second parameter.</typeparam>
    /// <typeparam name="T3">The type of the function's third parameter.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group, e.g. <c>Work.BurnCpu</c>; not a lambda. Its declaring type is enabled in the new actor.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="arg3">The function's third argument (serialised).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    /// <exception cref="ArgumentException"><paramref name="function"/> is not a static method, or an argument or the result type cannot be serialised.</exception>
    public Task<ActorPortal<T>> RunInActor<T1, T2, T3, T>(Func<T1, T2, T3, T> function, T1 arg1, T2 arg2, T3 arg3, string? name = null) =>
        SpawnValue<T>(function, name, arg1, arg2, arg3);
}
