using System.Text.RegularExpressions;
using NUnit.Framework;
using TractorNet.Testing;

namespace TractorNet.CSharp.Tests;

/// <summary>The debugger from C#: the C# examples driven in a real pseudo-terminal, and debug mode off.</summary>
public class DebuggerTests
{
    const string Prompt = @"\(tractor\) ";

    static string Examples => Path.Combine(RepoPaths.outputOf("examples/CSharp"), "Tractor.Examples.CSharp.dll");

    [Test]
    public void A_childs_pause_shows_the_anonymous_objects_values_and_each_c_continues()
    {
        using var t = PseudoTerminal.StartDotnet(Examples, ["subactor-breakpoint"]);
        for (var i = 1; i <= 3; i++)
        {
            t.Expect(@"Opening a REPL in paused actor \('breakpoint_forever', '\w+'\) pid \d+");
            Assert.That(t.Expect(Prompt), Does.Contain("SubactorBreakpoint.cs:19"));
            t.SendLine("args");
            Assert.That(t.Expect(Prompt), Does.Contain($"i = {i}"));
            t.SendLine("c");
        }
        Assert.That(t.ExpectEnd(), Does.Contain("breakpoint_forever paused 3 times and returned"));
        Assert.That(t.ExitCode(), Is.EqualTo(0));
    }

    [Test]
    public void Post_mortem_opens_in_the_crashed_child_then_in_each_parent()
    {
        using var t = PseudoTerminal.StartDotnet(Examples, ["nested-subactor-error"]);
        var order = new List<string>();
        for (var level = 0; level < 3; level++)
        {
            var header = Regex.Match(t.Expect(Prompt), @"Opening a REPL in crashed actor \('(\w+)'");
            Assert.That(header.Success, "each prompt follows a crash header");
            order.Add(header.Groups[1].Value);
            t.SendLine("c");
        }
        Assert.That(order, Is.EqualTo(new[] { "name_error", "spawn_until_0", "root" }));
        Assert.That(t.ExpectEnd(), Does.Contain("from 'name_error' via spawn_until_0"));
        Assert.That(t.ExitCode(), Is.EqualTo(0));
    }

    [Test]
    public async Task Without_debug_mode_Pause_returns_at_once()
    {
        await Tractor.Pause(new { answer = 42 }).WaitAsync(ActorTestSupport.Bound);
        Assert.That(Tractor.DebugMode, Is.False);
    }
}
