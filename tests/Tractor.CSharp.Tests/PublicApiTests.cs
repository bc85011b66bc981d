using System.Reflection;
using System.Text.RegularExpressions;
using NUnit.Framework;
using TractorNet.Testing;

namespace TractorNet.CSharp.Tests;

/// <summary>
/// The F# assembly's whole public API, one line per type and member, against the approved listing
/// <c>PublicApi/Tractor.FSharp.approved.txt</c>: a change to the public surface fails here until someone
/// reviews and approves it. To approve, run this test with <c>TRACTOR_APPROVE_API=1</c> (it then rewrites
/// the approved listing) or copy the <c>.received.txt</c> file the failure writes over the approved one,
/// and commit the listing with the change.
/// </summary>
public class PublicApiTests
{
    const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
                                  | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static string Folder => Path.Combine(RepoPaths.root.Value, "tests", "Tractor.CSharp.Tests", "PublicApi");

    static string Name(Type t)
    {
        if (t.IsGenericParameter) return t.Name;
        if (t.IsByRef) return "ref " + Name(t.GetElementType()!);
        if (t.IsPointer) return Name(t.GetElementType()!) + "*";
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        var def = t.IsGenericType ? t.GetGenericTypeDefinition() : t;
        var name = Regex.Replace((def.FullName ?? $"{def.Namespace}.{def.Name}").Replace('+', '.'), "`\\d+", "");
        return t.IsGenericType ? $"{name}<{string.Join(", ", t.GetGenericArguments().Select(Name))}>" : name;
    }

    static string Parameters(MethodBase m) =>
        string.Join(", ", m.GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}"));

    static string Generics(MethodInfo m) =>
        m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(Name))}>" : "";

    static bool Visible(MethodBase? m) => m is not null && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly);

    static bool Visible(FieldInfo f) => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly;

    static string Kind(Type t) =>
        t.IsInterface ? "interface"
        : t.IsEnum ? "enum"
        : t.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(t) ? "delegate"
        : t is { IsAbstract: true, IsSealed: true } ? "static class"
        : t.IsAbstract ? "abstract class"
        : t.IsSealed ? "sealed class"
        : "class";

    static IEnumerable<string> Lines(Type t)
    {
        var type = Name(t);
        var supertypes = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && b != typeof(MulticastDelegate))
            supertypes.Add(Name(b));
        supertypes.AddRange(t.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
        yield return $"{Kind(t)} {type}" + (supertypes.Count > 0 ? " : " + string.Join(", ", supertypes) : "");

        // Compiler-generated helpers (F#'s debug copies of inline members, named after their line) are no API.
        foreach (var m in t.GetMembers(Declared).Where(m => !m.Name.Contains('@') && !m.Name.StartsWith('<')))
        {
            switch (m)
            {
                case ConstructorInfo c when Visible(c):
                    yield return $"{type}::{(c.IsStatic ? "static " : "")}.ctor({Parameters(c)})";
                    break;
                case MethodInfo mi when Visible(mi) && !(mi.IsSpecialName && Regex.IsMatch(mi.Name, "^(get|set|add|remove)_")):
                    yield return $"{type}::{(mi.IsStatic ? "static " : "")}{mi.Name}{Generics(mi)}({Parameters(mi)}) : {Name(mi.ReturnType)}";
                    break;
                case PropertyInfo p when Visible(p.GetMethod) || Visible(p.SetMethod):
                    var index = p.GetIndexParameters();
                    var indexText = index.Length > 0 ? $"[{string.Join(", ", index.Select(i => $"{Name(i.ParameterType)} {i.Name}"))}]" : "";
                    var accessors = (Visible(p.GetMethod) ? " get;" : "") + (Visible(p.SetMethod) ? " set;" : "");
                    var isStatic = (p.GetMethod ?? p.SetMethod)!.IsStatic;
                    yield return $"{type}::{(isStatic ? "static " : "")}property {p.Name}{indexText} : {Name(p.PropertyType)} {{{accessors} }}";
                    break;
                case FieldInfo f when Visible(f) && !f.IsSpecialName:
                    var value = f.IsLiteral ? $" = {f.GetRawConstantValue()}" : "";
                    yield return $"{type}::{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}field {f.Name} : {Name(f.FieldType)}{value}";
                    break;
                case EventInfo e when Visible(e.AddMethod):
                    yield return $"{type}::event {e.Name} : {Name(e.EventHandlerType!)}";
                    break;
            }
        }
    }

    /// <summary>The listing of <paramref name="assembly"/>'s public API: sorted, one line per type and member.</summary>
    static List<string> Listing(Assembly assembly) =>
        assembly.GetExportedTypes().Where(t => !t.Name.Contains('@')).SelectMany(Lines).Distinct().Order(StringComparer.Ordinal).ToList();

    static List<string> ReadListing(string path) =>
        File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToList() : [];

    [Test]
    public void TheFSharpAssemblysPublicApiIsTheApprovedOne()
    {
        var approvedPath = Path.Combine(Folder, "Tractor.FSharp.approved.txt");
        var receivedPath = Path.Combine(Folder, "Tractor.FSharp.received.txt");
        var current = Listing(typeof(ActorId).Assembly);
        Assert.That(current, Has.Some.StartsWith("sealed class TractorNet.ActorId"), "the listing should describe ActorId");
        Assert.That(current, Has.Some.StartsWith("TractorNet.ActorId::property Name : System.String"), "and its members");

        if (Environment.GetEnvironmentVariable("TRACTOR_APPROVE_API") == "1")
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllLines(approvedPath, current);
            File.Delete(receivedPath);
            return;
        }

        var approved = ReadListing(approvedPath);
        var removed = approved.Except(current).Select(l => "- " + l).ToList();
        var added = current.Except(approved).Select(l => "+ " + l).ToList();
        if (removed.Count == 0 && added.Count == 0)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllLines(receivedPath, current);
        Assert.Fail(
            $"The public API of Tractor.FSharp changed ({removed.Count} lines removed, {added.Count} added):\n"
            + string.Join("\n", removed.Concat(added)) + "\n\n"
            + $"If the change is intended, approve it: copy {receivedPath} over {approvedPath} "
            + "(or run this test with TRACTOR_APPROVE_API=1) and commit the listing with the change.");
    }
}
