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
    internal static PreparedCall Prepare(Delegate function, Type resultType, params object?[] arguments)
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
        var produced = FunctionInvoker.resultType(m);
        if (produced != resultType)
            // Delegate return-type covariance can make a method returning string bind to Func<object>.
            throw new ArgumentException(
                $"'{m.DeclaringType?.Name}.{m.Name}' produces {produced.Name}, but the call expects {resultType.Name}: "
                + "state the result type exactly.",
                nameof(function));
        return FunctionRefs.ofDelegate(function, arguments);
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
