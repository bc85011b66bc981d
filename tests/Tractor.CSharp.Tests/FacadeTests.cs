using NUnit.Framework;

namespace TractorNet.CSharp.Tests;

public class FacadeTests
{
    [Test]
    public void TheEntryPointIsCalledTractorFromCSharp() =>
        Assert.That(Tractor.Version, Is.EqualTo(TractorNet.Version.current));
}
