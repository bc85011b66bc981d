using System.Reflection;
using NUnit.Framework;

namespace TractorNet.CSharp.Tests;

/// <summary>C# users of the actor facade never meet F# types (FSharpFunc, option, list, Async, Unit...).</summary>
public class ActorFacadeSurfaceTests
{
    static readonly Assembly FSharpCore = typeof(Microsoft.FSharp.Core.Unit).Assembly;

    const BindingFlags Public = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static IEnumerable<Type> Parts(Type t)
    {
        yield return t;
        if (t.HasElementType)
            foreach (var p in Parts(t.GetElementType()!)) yield return p;
        if (t.IsGenericType)
            foreach (var a in t.GetGenericArguments())
                foreach (var p in Parts(a)) yield return p;
    }

    /// <summary>Every public member of <paramref name="t"/> whose signature mentions an FSharp.Core type.</summary>
    static IEnumerable<string> FSharpMentions(Type t)
    {
        IEnumerable<(string, Type)> Signature()
        {
            if (t.BaseType is { } b) yield return ("base type", b);
            foreach (var i in t.GetInterfaces()) yield return ("interface", i);
            foreach (var m in t.GetMembers(Public))
            {
                switch (m)
                {
                    case MethodInfo mi:
                        yield return (mi.ToString()!, mi.ReturnType);
                        foreach (var p in mi.GetParameters()) yield return (mi.ToString()!, p.ParameterType);
                        break;
                    case ConstructorInfo ci:
                        foreach (var p in ci.GetParameters()) yield return (ci.ToString()!, p.ParameterType);
                        break;
                    case PropertyInfo pi:
                        yield return (pi.ToString()!, pi.PropertyType);
                        break;
                    case FieldInfo fi:
                        yield return (fi.ToString()!, fi.FieldType);
                        break;
                    case EventInfo ei:
                        yield return (ei.ToString()!, ei.EventHandlerType!);
                        break;
                }
            }
        }

        return Signature()
            .Where(s => Parts(s.Item2).Any(p => p.Assembly == FSharpCore))
            .Select(s => $"{t.Name}: {s.Item1}");
    }

    static readonly Assembly[] Ours = [typeof(Nursery).Assembly, typeof(ActorId).Assembly];

    /// <summary>The facade's exported types, the errors C# code catches, and every type of ours that their public
    /// signatures reach (transitively): everything a C# user can get hold of.</summary>
    static List<Type> Reachable()
    {
        var seen = new HashSet<Type>();
        var todo = new Queue<Type>(typeof(Nursery).Assembly.GetExportedTypes()
            .Concat([typeof(RemoteActorError), typeof(MultiErrorException), typeof(ActorDiedError)]));
        while (todo.TryDequeue(out var t))
        {
            t = t.IsGenericType ? t.GetGenericTypeDefinition() : t;
            if (!Ours.Contains(t.Assembly) || !seen.Add(t)) continue;
            foreach (var m in t.GetMembers(Public))
            {
                IEnumerable<Type> mentioned = m switch
                {
                    MethodInfo mi => mi.GetParameters().Select(p => p.ParameterType).Append(mi.ReturnType),
                    ConstructorInfo ci => ci.GetParameters().Select(p => p.ParameterType),
                    PropertyInfo pi => [pi.PropertyType],
                    FieldInfo fi => [fi.FieldType],
                    _ => [],
                };
                foreach (var x in mentioned.SelectMany(Parts)) todo.Enqueue(x);
            }
        }
        return seen.ToList();
    }

    [Test]
    public void NoPublicMemberOfTheFacadeMentionsAnFSharpCoreType()
    {
        var facade = typeof(Nursery).Assembly.GetExportedTypes();
        Assert.That(facade, Does.Contain(typeof(Nursery)).And.Contain(typeof(JoinableNursery))
            .And.Contain(typeof(ActorPortal)).And.Contain(typeof(ActorPortal<>)).And.Contain(typeof(ActorTaskPortal))
            .And.Contain(typeof(ActorInfo)));
        Assert.That(facade.SelectMany(FSharpMentions), Is.Empty);
    }

    [Test]
    public void NothingACSharpUserCanReachThroughTheFacadeMentionsAnFSharpCoreType()
    {
        var reachable = Reachable();
        Assert.That(reachable, Does.Contain(typeof(ActorId)).And.Contain(typeof(TaskNursery)));
        Assert.That(reachable.SelectMany(FSharpMentions), Is.Empty);
    }

    [Test]
    public void TheStreamingApiIsReachableAndMentionsNoFSharpCoreType()
    {
        var reachable = Reachable();
        // Reached through OpenContextAsync/OpenStream signatures: the C# wrappers and the F# types C# uses as they are.
        Assert.That(reachable, Does.Contain(typeof(ActorContext<,>)).And.Contain(typeof(ActorContext<>))
            .And.Contain(typeof(ActorStream<>)).And.Contain(typeof(Context<>)).And.Contain(typeof(MsgStream<,>))
            .And.Contain(typeof(BroadcastSubscription<>)).And.Contain(typeof(StreamOptions)).And.Contain(typeof(Overruns)));
        // The errors a streaming C# user catches, and the broadcast they may build themselves.
        Type[] more = [typeof(ContextCancelledError), typeof(LaggedError), typeof(StreamOverrunError),
            typeof(StreamItemError), typeof(TransportClosedError), typeof(Broadcast<>)];
        Assert.That(reachable.Concat(more).SelectMany(FSharpMentions), Is.Empty);
    }
}
