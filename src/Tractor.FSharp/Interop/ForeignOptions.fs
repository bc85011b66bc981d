namespace TractorNet

open System

/// <summary>How the bridge to foreign (unstructured) Task code behaves; start from
/// <see cref="P:TractorNet.ForeignOptions.Default"/>.</summary>
type ForeignOptions =
    {
        /// <summary>How long the structured side waits for the foreign task to end once its token is cancelled
        /// (the structured side ended, failed or was cancelled). Past it the task is reported as stuck
        /// (<see cref="T:TractorNet.ForeignTaskStuckError"/>) and left behind. Default 5 s.</summary>
        StopTimeout: TimeSpan
        /// <summary>Messages each direction of a channel holds before a sender waits; items an observable may push
        /// ahead of its reader before the stream fails (<see cref="T:TractorNet.ForeignOverrunError"/>). Default 256.</summary>
        Capacity: int
    }

    /// <summary>The defaults: a 5 s stop timeout, a capacity of 256.</summary>
    static member Default = { StopTimeout = TimeSpan.FromSeconds 5.0; Capacity = 256 }

    /// Checks the options, naming the bad field.
    member internal o.Validate() =
        if o.Capacity < 1 then
            raise (ArgumentOutOfRangeException("Capacity", o.Capacity, "ForeignOptions.Capacity must be at least 1."))

        if o.StopTimeout < TimeSpan.Zero then
            raise (ArgumentOutOfRangeException("StopTimeout", o.StopTimeout, "ForeignOptions.StopTimeout must not be negative."))
