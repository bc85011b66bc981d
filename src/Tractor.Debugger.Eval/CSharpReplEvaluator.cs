// The debugger REPL's `p` with Roslyn's C# scripting: each value the pause was given becomes a local of the script,
// typed by its run-time type where C# can name it (else `object`). Kept out of the core: Roslyn is ~20 MB and
// takes a second or more to load and compile its first script (see the README's debugger section).
using System.ComponentModel;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using TractorNet.Devx;

namespace TractorNet.Debugger.Eval;

/// <summary>The values of a pause, as the script sees them (the script's globals).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ReplGlobals
{
    /// <summary>The values by name.</summary>
    public IReadOnlyDictionary<string, object?> Values { get; init; } = new Dictionary<string, object?>();
}

/// <summary>
/// Evaluates C# expressions over a pause's values in the debugger's REPL. The debugger finds this type by name in any
/// actor of an application that references this package; nothing to call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CSharpReplEvaluator : IReplEvaluator
{
    /// <inheritdoc />
    public async Task<object> Evaluate(IReadOnlyList<KeyValuePair<string, object>> values, string expression)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(expression);
        var prelude = new StringBuilder();
        var assemblies = new HashSet<Assembly> { typeof(object).Assembly, typeof(Enumerable).Assembly };
        foreach (var (name, value) in values)
        {
            var type = value?.GetType();
            var typeName = type is not null && Nameable(type) ? CSharpName(type) : "object";
            if (type is not null) Collect(type, assemblies);
            prelude.Append($"var @{name} = ({typeName})Values[\"{name}\"];\n");
        }
        var options = ScriptOptions.Default
            .AddReferences(assemblies.Where(a => !a.IsDynamic && a.Location != ""))
            .AddImports("System", "System.Linq", "System.Collections.Generic");
        try
        {
            var globals = new ReplGlobals { Values = values.ToDictionary(kv => kv.Key, kv => (object?)kv.Value) };
            return await CSharpScript.EvaluateAsync<object>(prelude + expression, options, globals, typeof(ReplGlobals))
                .ConfigureAwait(false);
        }
        catch (CompilationErrorException e)
        {
            throw new InvalidOperationException(string.Join("; ", e.Diagnostics.Select(d => d.GetMessage())));
        }
    }

    static void Collect(Type t, HashSet<Assembly> into)
    {
        if (!into.Add(t.Assembly) && !t.IsGenericType) return;
        if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) Collect(a, into);
        if (t.BaseType is { } b && b != typeof(object)) Collect(b, into);
    }

    /// <summary>Whether C# can name <paramref name="t"/> from another assembly (public all the way down).</summary>
    static bool Nameable(Type t) =>
        t.IsVisible && !t.IsPointer && !t.IsByRef && !t.Name.Contains('<') && (!t.IsGenericType || t.GetGenericArguments().All(Nameable));

    static string CSharpName(Type t)
    {
        if (t.IsArray) return CSharpName(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        var name = t.IsNested ? CSharpName(t.DeclaringType!) + "." + t.Name : "global::" + (t.Namespace is null ? "" : t.Namespace + ".") + t.Name;
        if (!t.IsGenericType) return name;
        var tick = name.IndexOf('`');
        var own = t.GetGenericArguments().Skip(t.DeclaringType?.GetGenericArguments().Length ?? 0);
        return (tick < 0 ? name : name[..tick]) + "<" + string.Join(", ", own.Select(CSharpName)) + ">";
    }
}
