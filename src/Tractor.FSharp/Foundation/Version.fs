namespace TractorNet

module Version =
    /// <summary>The library's version.</summary>
    let current = "0.1.0"
