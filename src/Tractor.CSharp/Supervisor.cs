using Microsoft.FSharp.Core;
using TractorNet.Runtime;

namespace TractorNet;

/// <summary>
/// A supervisor, seen from C# (Erlang/OTP's, under structured concurrency): a <see cref="Nursery"/> whose supervised
/// children (<see cref="SuperviseActor(string, Type[], RestartType, LogLevel?)"/>, <c>SuperviseRun</c>) are restarted
/// by its <see cref="SupervisorOptions"/>. Children start in order and stop in reverse order; a restarted child's portal
/// follows its new process. Past the restart intensity the supervisor stops every child and throws the last error, an
/// ordinary error of the enclosing nursery. <see cref="Nursery.Cancel"/> stops and reaps every child, restarting none.
/// Open one with <see cref="Tractor.OpenSupervisor(SupervisorOptions, Func{Supervisor, Task})"/>.
/// </summary>
public sealed class Supervisor : Nursery
{
    readonly ActorSupervisor supervisor;

    internal Supervisor(ActorNursery inner) : base(inner) => supervisor = ActorSupervisor.Of(inner);

    /// <summary>The policy (a copy taken when the supervisor opened).</summary>
    public SupervisorOptions Options => supervisor.Options;

    /// <summary>Every event of this supervisor, in order (children started, exited and why, restarted; the escalation);
    /// completes when the supervisor ends. Subscribers run on the supervisor's loop: keep them short.</summary>
    public IObservable<SupervisorEvent> Events => supervisor.Events;

    /// <summary>Calls <paramref name="onEvent"/> for every event of this supervisor (see <see cref="Events"/>).</summary>
    /// <param name="onEvent">The handler; its exceptions are logged, not thrown.</param>
    /// <returns>Disposing it unsubscribes.</returns>
    public IDisposable OnEvent(Action<SupervisorEvent> onEvent)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        return supervisor.Events.Subscribe(new ActionObserver(onEvent));
    }

    /// <summary>
    /// Starts a supervised daemon actor after the children started before it and returns its portal once it runs. The
    /// portal follows the actor across restarts: a call made while it is being restarted waits for the new process, a
    /// call in flight when it died throws its death (<see cref="ActorDiedError"/>). <c>CancelActor()</c> stops it for good.
    /// </summary>
    /// <param name="name">The actor's name (every incarnation has it).</param>
    /// <param name="enableModules">The types whose static methods the actor may run.</param>
    /// <param name="restart">When it is restarted (by default always).</param>
    /// <param name="logLevel">The actor's log level; by default the current one.</param>
    /// <exception cref="ArgumentException">The name is empty, or a type has no full name.</exception>
    public Task<ActorPortal> SuperviseActor(string name, Type[] enableModules, RestartType restart = RestartType.Permanent, LogLevel? logLevel = null)
    {
        ArgumentNullException.ThrowIfNull(enableModules);
        return SuperviseActor(name, ModuleNamesOf(enableModules), restart, logLevel);
    }

    /// <summary>Starts a supervised daemon actor like <see cref="SuperviseActor(string, Type[], RestartType, LogLevel?)"/>,
    /// enabling modules by name (assembly names, namespaces or type full names).</summary>
    /// <param name="name">The actor's name.</param>
    /// <param name="enableModules">Assembly names, namespaces or type full names whose static methods it may run.</param>
    /// <param name="restart">When it is restarted (by default always).</param>
    /// <param name="logLevel">The actor's log level; by default the current one.</param>
    /// <exception cref="ArgumentException">The name or a module name is empty or unknown.</exception>
    public async Task<ActorPortal> SuperviseActor(string name, string[] enableModules, RestartType restart = RestartType.Permanent, LogLevel? logLevel = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(enableModules);
        var portal = await supervisor.SuperviseActorAsync(name, enableModules, restart, logLevel ?? Log.current()).ConfigureAwait(false);
        return new ActorPortal(portal, Inner.Token);
    }

    /// <summary>
    /// Starts a supervised daemon actor like <see cref="SuperviseActor(string, Type[], RestartType, LogLevel?)"/>, discoverable
    /// by its name: each new process registers before it counts as started, so <see cref="Tractor.FindActor"/> reaches the
    /// current one after a restart.
    /// </summary>
    /// <param name="name">The actor's name (every incarnation registers under it).</param>
    /// <param name="enableModules">The types whose static methods the actor may run.</param>
    /// <param name="restart">When it is restarted (by default always).</param>
    /// <param name="logLevel">The actor's log level; by default the current one.</param>
    /// <exception cref="ArgumentException">The name is empty, or a type has no full name.</exception>
    public async Task<ActorPortal> SuperviseDiscoverableActor(string name, Type[] enableModules, RestartType restart = RestartType.Permanent, LogLevel? logLevel = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(enableModules);
        var portal = await supervisor.SuperviseDiscoverableActorAsync(name, ModuleNamesOf(enableModules), restart, logLevel ?? Log.current()).ConfigureAwait(false);
        return new ActorPortal(portal, Inner.Token);
    }

    /// <summary>
    /// Runs <paramref name="function"/> (a static method) in a supervised actor: by default transient, so after a
    /// failure it runs again in a new process (by the policy) until it returns. The portal's <c>Result()</c> is the value
    /// of the run that returned, or the last error if the child was not restarted.
    /// </summary>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group; not a lambda. Its declaring type is enabled in the actor.</param>
    /// <param name="restart">When it is run again (a permanent function is run again even after it returns).</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    public Task<ActorPortal<T>> SuperviseRun<T>(Func<Task<T>> function, RestartType restart = RestartType.Transient, string? name = null) =>
        RunValue<T>(function, restart, name);

    /// <summary>Runs a one-argument static method in a supervised actor; see <see cref="SuperviseRun{T}(Func{Task{T}}, RestartType, string?)"/>.</summary>
    /// <typeparam name="T1">The type of the function's argument.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group; not a lambda.</param>
    /// <param name="arg1">The function's argument (serialised).</param>
    /// <param name="restart">When it is run again.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    public Task<ActorPortal<T>> SuperviseRun<T1, T>(Func<T1, Task<T>> function, T1 arg1, RestartType restart = RestartType.Transient, string? name = null) =>
        RunValue<T>(function, restart, name, arg1);

    /// <summary>Runs a two-argument static method in a supervised actor; see <see cref="SuperviseRun{T}(Func{Task{T}}, RestartType, string?)"/>.</summary>
    /// <typeparam name="T1">The type of the function's first argument.</typeparam>
    /// <typeparam name="T2">The type of the function's second argument.</typeparam>
    /// <typeparam name="T">The function's result type.</typeparam>
    /// <param name="function">A static method group; not a lambda.</param>
    /// <param name="arg1">The function's first argument (serialised).</param>
    /// <param name="arg2">The function's second argument (serialised).</param>
    /// <param name="restart">When it is run again.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    public Task<ActorPortal<T>> SuperviseRun<T1, T2, T>(Func<T1, T2, Task<T>> function, T1 arg1, T2 arg2, RestartType restart = RestartType.Transient, string? name = null) =>
        RunValue<T>(function, restart, name, arg1, arg2);

    /// <summary>Runs a static method returning a <see cref="Task"/> in a supervised actor; see
    /// <see cref="SuperviseRun{T}(Func{Task{T}}, RestartType, string?)"/>.</summary>
    /// <param name="function">A static method group; not a lambda.</param>
    /// <param name="restart">When it is run again.</param>
    /// <param name="name">The actor's name; by default the function's name.</param>
    public async Task<ActorTaskPortal> SuperviseRun(Func<Task> function, RestartType restart = RestartType.Transient, string? name = null)
    {
        var call = StaticFunction.Prepare(function, typeof(Unit));
        var portal = await supervisor.SuperviseRunAsync<Unit>(call, name, restart, Log.current()).ConfigureAwait(false);
        return new ActorTaskPortal(portal, Inner.Token);
    }

    async Task<ActorPortal<T>> RunValue<T>(Delegate function, RestartType restart, string? name, params object?[] arguments)
    {
        var call = StaticFunction.Prepare(function, typeof(T), arguments);
        var portal = await supervisor.SuperviseRunAsync<T>(call, name, restart, Log.current()).ConfigureAwait(false);
        return new ActorPortal<T>(portal, Inner.Token);
    }

    static string[] ModuleNamesOf(Type[] types)
    {
        var modules = new string[types.Length];
        for (var i = 0; i < modules.Length; i++)
        {
            var t = types[i] ?? throw new ArgumentException("enableModules contains null.", nameof(types));
            modules[i] = t.FullName ?? throw new ArgumentException($"type '{t.Name}' has no full name; enable a concrete type.", nameof(types));
        }
        return modules;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Supervisor({Inner.Actor}, {supervisor.Options})";

    sealed class ActionObserver(Action<SupervisorEvent> onEvent) : IObserver<SupervisorEvent>
    {
        public void OnNext(SupervisorEvent value) => onEvent(value);
        public void OnError(Exception error) { }
        public void OnCompleted() { }
    }
}
