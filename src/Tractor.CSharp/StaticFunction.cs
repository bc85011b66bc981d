using System.Reflection;
using System.Runtime.CompilerServices;
using TractorNet.Runtime;

namespace TractorNet;

/// <summary>
/// Turns a C# delegate into a call another process can resolve: the delegate must name a static
/// method (a method group such as <c>Work.BurnCpu</c>); its arguments travel explicitly.
/// </summary>
internal static class StaticFunction
{
    /// <summary>Checks <paramref name="function"/> and prepares a call of it with <paramref name="arguments"/>.
    /// <paramref name="resultType"/> is the type the caller will decode (F# <c>unit</c> for Task/ValueTask).</summary>
    internal static PreparedCall Prepare(Delegate function, Type resultType, params object?[] arguments) =>
        FunctionRefs.ofDelegate(CheckResult(function, Check(function), resultType), arguments);

    /// <summary>Checks a context function (first parameter <c>Context&lt;TStarted&gt;</c>, supplied by the callee)
    /// and prepares a call of it with the <paramref name="arguments"/> that follow the context.</summary>
    internal static PreparedCall PrepareContext(Delegate function, Type resultType, params object?[] arguments) =>
        // The context is the callee's; the runtime sends only the arguments after it.
        Call(CheckResult(function, Check(function), resultType).Method, [null, .. arguments], 1);

    /// <summary>Checks a stream function (it returns an <c>IAsyncEnumerable</c>; the runtime checks the item type)
    /// and prepares a call of it with <paramref name="arguments"/>.</summary>
    internal static PreparedCall PrepareStream(Delegate function, params object?[] arguments) =>
        Call(Check(function), arguments, 0);

    static PreparedCall Call(MethodInfo m, object?[] arguments, int first) =>
        new(FunctionRefs.ofMethod(m), m, arguments!,
            arguments.Select((_, i) => i < first ? "context" : $"argument {i - first + 1}").ToArray());

    /// <summary>The static method <paramref name="function"/> names, or a clear error.</summary>
    static MethodInfo Check(Delegate function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var m = function.Method;
        if (function.GetInvocationList().Length > 1)
            throw new ArgumentException(
                "A multicast delegate cannot run in another actor: pass one static method group (e.g. Work.BurnCpu).",
                nameof(function));
        if (!m.IsStatic)
            throw new ArgumentException(Describe(m) + " cannot run in another actor: pass a static method group "
                + "(e.g. Work.BurnCpu, with its arguments after it: Run(Work.Add, 1, 2)) so that the other process "
                + "can find the same method. Move a lambda's body into a static method of a static class.",
                nameof(function));
        if (function.Target is not null)
            // A static method with a bound first argument (e.g. an extension method group `x.Ext`):
            // the bound value would be silently lost.
            throw new ArgumentException(
                $"'{m.DeclaringType?.Name}.{m.Name}' has a bound first argument (an extension method called on a value?): "
                + "pass the static method group and give every argument explicitly.",
                nameof(function));
        return m;
    }

    /// <summary><paramref name="function"/>, if its method produces exactly <paramref name="resultType"/>.</summary>
    static Delegate CheckResult(Delegate function, MethodInfo m, Type resultType)
    {
        var produced = FunctionInvoker.resultType(m);
        if (produced != resultType)
            // Delegate return-type covariance can make a method returning string bind to Func<object>, or one returning
            // Task<int> bind to Func<Task>.
            throw new ArgumentException(
                $"'{m.DeclaringType?.Name}.{m.Name}' produces {produced.Name}, but the call expects {resultType.Name}: "
                + "state the result type exactly.",
                nameof(function));
        return function;
    }

    static string Describe(MethodInfo m)
    {
        var compilerMade = m.Name.Contains('<')
            || m.DeclaringType?.IsDefined(typeof(CompilerGeneratedAttribute), false) == true;
        return compilerMade
            ? $"A lambda or anonymous method (compiled as '{m.DeclaringType?.Name}.{m.Name}')"
            : $"The instance method '{m.DeclaringType?.Name}.{m.Name}'";
    }
}
