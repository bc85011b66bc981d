namespace TractorNet.Hosting;

/// <summary>How the root actor runs in a host; set in <see cref="TractorServiceCollectionExtensions.AddTractor"/>'s
/// configure callback.</summary>
public sealed class TractorHostOptions
{
    /// <summary>Stop the application when the root's body returns (a worker whose work is done). Default true; when
    /// false the host runs on until it is stopped otherwise.</summary>
    public bool StopApplicationWhenDone { get; set; } = true;

    /// <summary>Hand the whole tree's log records to the host's <see cref="Microsoft.Extensions.Logging.ILoggerFactory"/>
    /// (<c>Log.UseLoggerFactory</c>). Default true.</summary>
    public bool UseHostLogging { get; set; } = true;
}
