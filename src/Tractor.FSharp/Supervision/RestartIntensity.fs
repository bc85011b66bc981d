namespace TractorNet.Supervision

open System
open TractorNet

/// The restart intensity of one supervisor (Erlang/OTP's intensity and period): the times of its
/// recent restarts. Used by the supervisor's loop only, so unsynchronised.
type internal RestartIntensity(options: SupervisorOptions, now: unit -> TimeSpan) =
    let recent = Collections.Generic.Queue<int64>()

    let forget () =
        let horizon = now () - options.Within

        while recent.Count > 0 && TimeSpan.FromTicks(recent.Peek()) <= horizon do
            recent.Dequeue() |> ignore

    /// Records a restart about to happen; false when it would exceed the intensity (give up).
    member _.TryRestart() : bool =
        forget ()

        if recent.Count >= options.MaxRestarts then
            false
        else
            recent.Enqueue (now ()).Ticks
            true

    /// On a monotonic clock of its own.
    new(options: SupervisorOptions) =
        let clock = Diagnostics.Stopwatch.StartNew()
        RestartIntensity(options, fun () -> clock.Elapsed)

    /// Restarts within the window, this one included.
    member _.Recent =
        forget ()
        recent.Count

/// Raised inside the supervisor's loop when the restart intensity is exceeded: it carries the
/// error the supervisor escalates (the loop stops every child, then raises that error itself).
exception internal SupervisorEscalation of exn

/// The backoff between restarts: exponential in the restarts within the window, capped, with jitter.
module internal Backoff =
    /// The delay before the `n`th restart within the window (n from 1); `random` in [0, 1).
    let delay (options: SupervisorOptions) (n: int) (random: float) : TimeSpan =
        if options.InitialBackoff = TimeSpan.Zero || options.MaxBackoff = TimeSpan.Zero then
            TimeSpan.Zero
        else
            let exponent = float (max 0 (n - 1))
            let raw = options.InitialBackoff.TotalMilliseconds * Math.Pow(options.BackoffFactor, exponent)
            let capped = min raw options.MaxBackoff.TotalMilliseconds
            let jittered = capped * (1.0 + options.BackoffJitter * (2.0 * random - 1.0))
            TimeSpan.FromMilliseconds(max 0.0 jittered)
