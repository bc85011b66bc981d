namespace TractorNet

module Version =
    /// The library's version.
    let current = "0.1.0"
