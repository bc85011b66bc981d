using Microsoft.FSharp.Core;

namespace TractorNet;

public static partial class Tractor
{
    /// <summary>
    /// Opens a supervisor with the default policy (one-for-one, at most 3 restarts in 5 seconds); see
    /// <see cref="OpenSupervisor(SupervisorOptions, Func{Supervisor, Task})"/>.
    /// </summary>
    /// <param name="body">Starts supervised children with <c>s.SuperviseActor(...)</c> / <c>s.SuperviseRun(...)</c>.</param>
    public static Task OpenSupervisor(Func<Supervisor, Task> body) => OpenSupervisor(new SupervisorOptions(), body);

    /// <summary>
    /// Opens a supervisor (an actor nursery whose supervised children are restarted by <paramref name="options"/>), runs
    /// <paramref name="body"/> in it and completes once every child has ended for good and been reaped. When the restart
    /// intensity is exceeded it stops every child (in reverse start order) and throws the last error, as any nursery
    /// error. Its own cancellation (<see cref="Nursery.Cancel"/>) stops and reaps every child, restarts none, and is
    /// absorbed.
    /// </summary>
    /// <param name="options">The strategy, restart intensity and backoff.</param>
    /// <param name="body">Starts supervised children with <c>s.SuperviseActor(...)</c> / <c>s.SuperviseRun(...)</c>.</param>
    public static async Task OpenSupervisor(SupervisorOptions options, Func<Supervisor, Task> body)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(body);
        await OpenActorSupervisor<bool>(options, async n =>
        {
            try
            {
                await body(new Supervisor(n)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (n.Tasks.CancelScope.CancelCalled)
            {
                // Cut short by the supervisor's own cancellation: not an error (errors that caused it still surface).
            }
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="OpenSupervisor(SupervisorOptions, Func{Supervisor, Task})"/>, returning the body's value
    /// once every child has ended.</summary>
    /// <param name="options">The strategy, restart intensity and backoff.</param>
    /// <param name="body">The body; its value is returned.</param>
    /// <exception cref="OperationCanceledException">The supervisor's own cancellation cut the body short.</exception>
    public static Task<T> OpenSupervisor<T>(SupervisorOptions options, Func<Supervisor, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(body);
        return OpenActorSupervisor<T>(options, n => body(new Supervisor(n)));
    }

    static Task<T> OpenActorSupervisor<T>(SupervisorOptions options, Func<ActorNursery, Task<T>> body) =>
        ActorSupervisor.Open(options, FuncConvert.FromFunc(body));
}
