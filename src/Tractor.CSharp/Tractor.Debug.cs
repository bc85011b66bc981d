// The multi-process debugger (tractor's pause() and crash handler): debug mode, Pause, PostMortem, WaitForDebugger.
using System.Collections;
using System.Runtime.CompilerServices;
using Microsoft.FSharp.Collections;

namespace TractorNet;

public static partial class Tractor
{
    /// <summary>
    /// <see cref="OpenNursery()"/> with debug mode for the tree when <paramref name="debugMode"/> is true (see
    /// <see cref="Pause"/>); every actor below inherits it. <c>TRACTOR_DEBUG=1</c> turns it on as well.
    /// </summary>
    public static Task<JoinableNursery> OpenNursery(bool debugMode)
    {
        TractorNet.Debugger.ensure(debugMode);
        return JoinableNursery.Open();
    }

    /// <summary><see cref="OpenNursery(Func{Nursery, Task})"/> with debug mode for the tree when <paramref name="debugMode"/> is true.</summary>
    public static Task OpenNursery(Func<Nursery, Task> body, bool debugMode)
    {
        ArgumentNullException.ThrowIfNull(body);
        TractorNet.Debugger.ensure(debugMode);
        return OpenNursery(body);
    }

    /// <summary><see cref="OpenNursery{T}(Func{Nursery, Task{T}})"/> with debug mode for the tree when <paramref name="debugMode"/> is true.</summary>
    public static Task<T> OpenNursery<T>(Func<Nursery, Task<T>> body, bool debugMode)
    {
        ArgumentNullException.ThrowIfNull(body);
        TractorNet.Debugger.ensure(debugMode);
        return OpenNursery(body);
    }

    /// <summary>
    /// Stops the calling task and opens a REPL on the root's terminal once the tree-wide terminal lock is this actor's
    /// (tractor's <c>await tractor.pause()</c>); other pausing actors queue first come, first served, everything else
    /// keeps running. <c>c</c> continues; <c>q</c> throws <see cref="DebuggerQuitError"/>. Without debug mode it
    /// returns at once; without a terminal on the root's standard input it says so on standard error and continues.
    /// </summary>
    /// <param name="values">Values the REPL shows (<c>args</c>) and evaluates (<c>p order.Lines[0]</c>): an anonymous
    /// object (<c>new { order, count }</c>) or a dictionary of names to values.</param>
    /// <param name="file">The caller's source file (filled in by the compiler).</param>
    /// <param name="line">The caller's line (filled in by the compiler).</param>
    public static Task Pause(object? values = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        TractorNet.Debugger.pause(Named(values), file, line);

    /// <summary>Opens the crash REPL on <paramref name="error"/> here (tractor's <c>post_mortem()</c>); returns at once
    /// without debug mode.</summary>
    public static Task PostMortem(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return TractorNet.Debugger.postMortem(error);
    }

    /// <summary>
    /// Prints this actor's pid on standard error and waits until an IDE debugger (Rider, VS Code, Visual Studio) is
    /// attached: true once attached, false when <paramref name="timeout"/> passed first (default: no limit).
    /// </summary>
    public static Task<bool> WaitForDebugger(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        TractorNet.Debugger.waitForDebugger(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>Whether the calling actor's tree runs in debug mode.</summary>
    public static bool DebugMode => TractorNet.Debug.isEnabled();

    /// <summary>The values of a pause as name/value pairs: a dictionary's entries, or an object's public properties.</summary>
    static FSharpList<Tuple<string, object>> Named(object? values)
    {
        var pairs = new List<Tuple<string, object>>();
        switch (values)
        {
            case null:
                break;
            case IDictionary d:
                foreach (DictionaryEntry e in d) pairs.Add(Tuple.Create(e.Key.ToString() ?? "", e.Value!));
                break;
            case IEnumerable<KeyValuePair<string, object?>> kvs:
                foreach (var kv in kvs) pairs.Add(Tuple.Create(kv.Key, kv.Value!));
                break;
            default:
                foreach (var p in values.GetType().GetProperties())
                    if (p.GetIndexParameters().Length == 0) pairs.Add(Tuple.Create(p.Name, p.GetValue(values)!));
                break;
        }
        return ListModule.OfSeq(pairs);
    }
}
