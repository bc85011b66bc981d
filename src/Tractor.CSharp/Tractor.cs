namespace TractorNet;

/// <summary>
/// The C# entry point: <c>Tractor.OpenNursery()</c> and friends. The namespace is
/// <c>TractorNet</c> so that <c>Tractor.X</c> in user code binds to this class, not a namespace.
/// </summary>
public static partial class Tractor
{
    /// <summary>The library's version.</summary>
    public static string Version => TractorNet.Version.current;
}
