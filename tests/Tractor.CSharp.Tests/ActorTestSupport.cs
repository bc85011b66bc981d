using System.Diagnostics;
using NUnit.Framework;

namespace TractorNet.CSharp.Tests;

static class ActorTestSupport
{
    /// <summary>A generous bound: catches hangs, never stands in for synchronisation.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    /// <summary>Awaits <paramref name="body"/> (bounded) and returns the exception it raised, which must be a
    /// <typeparamref name="T"/>.</summary>
    public static async Task<T> Throws<T>(Func<Task> body) where T : Exception
    {
        try
        {
            await body().WaitAsync(Bound);
        }
        catch (T e)
        {
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"expected {typeof(T).Name}, got {e}");
        }
        Assert.Fail($"expected {typeof(T).Name}, nothing was thrown");
        return null!;
    }

    /// <summary>Whether no process with <paramref name="pid"/> runs any more (exited and reaped).</summary>
    public static bool Gone(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
