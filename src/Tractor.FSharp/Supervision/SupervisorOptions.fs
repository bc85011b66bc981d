namespace TractorNet

open System

/// <summary>
/// How a supervisor restarts its children: the strategy, the restart intensity (at most
/// <see cref="P:TractorNet.SupervisorOptions.MaxRestarts"/> restarts within
/// <see cref="P:TractorNet.SupervisorOptions.Within"/>, after which it gives up and escalates the last error to the
/// enclosing nursery) and the backoff before each restart (exponential with jitter, capped). Erlang/OTP's supervisor
/// flags, plus the backoff. Settable properties: <c>SupervisorOptions(Strategy = SupervisionStrategy.OneForAll)</c> in
/// F#, an object initialiser in C#.
/// </summary>
[<Sealed>]
type SupervisorOptions() =
    let mutable maxRestarts = 3
    let mutable within = TimeSpan.FromSeconds 5.0
    let mutable initial = TimeSpan.FromMilliseconds 10.0
    let mutable maximum = TimeSpan.FromSeconds 1.0
    let mutable factor = 2.0
    let mutable jitter = 0.2

    static let nonNegative (name: string) (t: TimeSpan) =
        if t < TimeSpan.Zero then
            raise (ArgumentOutOfRangeException(name, t, $"{name} cannot be negative"))

    /// <summary>Which children are restarted when one exits (default: one-for-one).</summary>
    member val Strategy = SupervisionStrategy.OneForOne with get, set

    /// <summary>At most this many restarts within <see cref="P:TractorNet.SupervisorOptions.Within"/>; one more and
    /// the supervisor escalates (default 3; 0 escalates at the first exit that would restart).</summary>
    /// <exception cref="T:System.ArgumentOutOfRangeException">The value is negative.</exception>
    member _.MaxRestarts
        with get () = maxRestarts
        and set (v: int) =
            if v < 0 then
                raise (ArgumentOutOfRangeException("MaxRestarts", v, "MaxRestarts cannot be negative"))

            maxRestarts <- v

    /// <summary>The window of the restart intensity (default 5 seconds).</summary>
    /// <exception cref="T:System.ArgumentOutOfRangeException">The value is not positive.</exception>
    member _.Within
        with get () = within
        and set (v: TimeSpan) =
            if v <= TimeSpan.Zero then
                raise (ArgumentOutOfRangeException("Within", v, "Within must be positive"))

            within <- v

    /// <summary>The backoff before the first restart within the window (default 10 ms; zero for none). Each further
    /// restart within the window waits <see cref="P:TractorNet.SupervisorOptions.BackoffFactor"/> times longer, up to
    /// <see cref="P:TractorNet.SupervisorOptions.MaxBackoff"/>.</summary>
    member _.InitialBackoff
        with get () = initial
        and set (v: TimeSpan) =
            nonNegative "InitialBackoff" v
            initial <- v

    /// <summary>The longest backoff (default 1 second).</summary>
    member _.MaxBackoff
        with get () = maximum
        and set (v: TimeSpan) =
            nonNegative "MaxBackoff" v
            maximum <- v

    /// <summary>How much longer each further backoff is (default 2; at least 1).</summary>
    member _.BackoffFactor
        with get () = factor
        and set (v: float) =
            if not (v >= 1.0) then
                raise (ArgumentOutOfRangeException("BackoffFactor", v, "BackoffFactor must be at least 1"))

            factor <- v

    /// <summary>The random part of each backoff, as a fraction of it: 0.2 (the default) waits between 80% and 120%
    /// of the computed delay, so that children restarted together do not retry in lockstep. Between 0 and 1.</summary>
    member _.BackoffJitter
        with get () = jitter
        and set (v: float) =
            if not (v >= 0.0 && v <= 1.0) then
                raise (ArgumentOutOfRangeException("BackoffJitter", v, "BackoffJitter must be between 0 and 1"))

            jitter <- v

    /// <summary>Restarts without waiting (the backoff set to zero); returns these options.</summary>
    member this.WithoutBackoff() =
        this.InitialBackoff <- TimeSpan.Zero
        this.MaxBackoff <- TimeSpan.Zero
        this

    /// A copy, so that changing these options later does not change a running supervisor.
    member internal this.Snapshot() = this.MemberwiseClone() :?> SupervisorOptions

    override this.ToString() =
        $"SupervisorOptions({this.Strategy}, at most {maxRestarts} restarts in {within}, backoff {initial}..{maximum} x{factor} ±{jitter:P0})"
