namespace TractorNet;

/// <summary>
/// C# entry points of <see cref="TaskNursery"/>: <c>await TaskNursery.OpenAsync(async n => { n.StartSoon(...); })</c>.
/// (C# 14 static extension members: they read as static methods of <see cref="TaskNursery"/>.)
/// </summary>
public static class TaskNurseryExtensions
{
    extension(TaskNursery)
    {
        /// <summary>
        /// Opens a task nursery, runs <paramref name="body"/> in it, and completes once the body and every child
        /// started in it have ended (trio's <c>open_nursery</c>). The first error, in the body or a child, cancels
        /// the body and all children; one error is rethrown as itself, several as one
        /// <see cref="MultiErrorException"/>. The nursery's own cancellation (<c>n.Cancel()</c>) is absorbed.
        /// </summary>
        /// <param name="body">Starts children with <c>n.StartSoon(ct =&gt; ...)</c> / <c>n.Start(...)</c>.</param>
        /// <param name="cancellationToken">Cancels the nursery like an enclosing scope: the cancellation propagates
        /// as an <see cref="OperationCanceledException"/> once everything has ended.</param>
        public static async Task OpenAsync(Func<TaskNursery, Task> body, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(body);
            await TaskNursery.Open(body, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// Like <see cref="OpenAsync(Func{TaskNursery, Task}, CancellationToken)"/>, returning the body's value once
        /// every child has ended.
        /// </summary>
        /// <exception cref="OperationCanceledException">The nursery's own cancellation cut the body short, so there
        /// is no value (or <paramref name="cancellationToken"/> was cancelled).</exception>
        public static async Task<T> OpenAsync<T>(Func<TaskNursery, Task<T>> body, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(body);
            var t = await TaskNursery.Open(body, cancellationToken).ConfigureAwait(false);
            if (!t.IsCompletedSuccessfully)
                throw new OperationCanceledException("The task nursery was cancelled before its body returned a value.");
            return ((Task<T>)t).Result;
        }
    }
}
