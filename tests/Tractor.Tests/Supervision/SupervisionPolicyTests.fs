/// The supervision policy without actors: which children a strategy restarts, which exits a
/// restart type restarts, the restart intensity's window, the backoff's growth, cap and jitter, and
/// the options' refusal of bad values.
module TractorNet.Tests.SupervisionPolicyTests

open System
open NUnit.Framework
open TractorNet
open TractorNet.Supervision

let ``each strategy restarts its group in start order`` () =
    let running = [ 0; 2; 3 ]
    Assert.That(Strategies.affected SupervisionStrategy.OneForOne 1 running, eq [ 1 ])
    Assert.That(Strategies.affected SupervisionStrategy.OneForAll 1 running, eq [ 0; 1; 2; 3 ])
    Assert.That(Strategies.affected SupervisionStrategy.RestForOne 1 running, eq [ 1; 2; 3 ])
    Assert.That(Strategies.affected SupervisionStrategy.RestForOne 3 running, eq [ 3 ])

let ``restart types decide on normal and abnormal exits`` () =
    let decide r = Strategies.restarts r false, Strategies.restarts r true
    Assert.That(decide RestartType.Permanent, eq (true, true))
    Assert.That(decide RestartType.Transient, eq (false, true))
    Assert.That(decide RestartType.Temporary, eq (false, false))

let ``the intensity allows MaxRestarts within the window, then again once old restarts leave it`` () =
    let options = SupervisorOptions(MaxRestarts = 2, Within = TimeSpan.FromSeconds 1.0)
    let mutable now = TimeSpan.Zero
    let intensity = RestartIntensity(options, fun () -> now)
    Assert.That(intensity.TryRestart(), Is.True)
    now <- TimeSpan.FromMilliseconds 100.0
    Assert.That(intensity.TryRestart(), Is.True)
    now <- TimeSpan.FromMilliseconds 200.0
    Assert.That(intensity.TryRestart(), Is.False, "a third restart within one second")
    Assert.That(intensity.Recent, eq 2)
    now <- TimeSpan.FromMilliseconds 1050.0
    Assert.That(intensity.Recent, eq 1, "the first restart has left the window")
    Assert.That(intensity.TryRestart(), Is.True)
    Assert.That(intensity.TryRestart(), Is.False)

let ``zero MaxRestarts gives up at the first restart`` () =
    let intensity = RestartIntensity(SupervisorOptions(MaxRestarts = 0))
    Assert.That(intensity.TryRestart(), Is.False)

let ``the backoff grows by its factor up to its cap, within its jitter`` () =
    let options = SupervisorOptions(InitialBackoff = TimeSpan.FromMilliseconds 10.0, MaxBackoff = TimeSpan.FromMilliseconds 50.0)
    options.BackoffFactor <- 2.0
    options.BackoffJitter <- 0.2
    let ms n r = (Backoff.delay options n r).TotalMilliseconds
    Assert.That(ms 1 0.5, Is.EqualTo(10.0).Within(1e-9))
    Assert.That(ms 2 0.5, Is.EqualTo(20.0).Within(1e-9))
    Assert.That(ms 3 0.5, Is.EqualTo(40.0).Within(1e-9))
    Assert.That(ms 4 0.5, Is.EqualTo(50.0).Within(1e-9), "capped")
    Assert.That(ms 40 0.5, Is.EqualTo(50.0).Within(1e-9), "no overflow far out")
    Assert.That(ms 1 0.0, Is.EqualTo(8.0).Within(1e-9), "-20%")
    Assert.That(ms 1 0.999999, Is.EqualTo(12.0).Within(1e-3), "+20%")
    Assert.That(Backoff.delay (SupervisorOptions().WithoutBackoff()) 3 0.5, eq TimeSpan.Zero)

let ``bad options are refused clearly`` () =
    let refuses (name: string) (set: SupervisorOptions -> unit) =
        let e = Assert.Throws<ArgumentOutOfRangeException>(fun () -> set (SupervisorOptions()))
        Assert.That(e.ParamName, eq name)

    refuses "MaxRestarts" (fun o -> o.MaxRestarts <- -1)
    refuses "Within" (fun o -> o.Within <- TimeSpan.Zero)
    refuses "InitialBackoff" (fun o -> o.InitialBackoff <- TimeSpan.FromSeconds -1.0)
    refuses "MaxBackoff" (fun o -> o.MaxBackoff <- TimeSpan.FromSeconds -1.0)
    refuses "BackoffFactor" (fun o -> o.BackoffFactor <- 0.5)
    refuses "BackoffJitter" (fun o -> o.BackoffJitter <- 1.5)
    refuses "BackoffJitter" (fun o -> o.BackoffJitter <- nan)

let ``a running supervisor keeps the options it opened with`` () =
    let options = SupervisorOptions(MaxRestarts = 4)
    let copy = options.Snapshot()
    options.MaxRestarts <- 9
    Assert.That(copy.MaxRestarts, eq 4)

[<Expecto.Tests>]
let tests =
    Register.tests "SupervisionPolicyTests" [
        Register.test "each strategy restarts its group in start order" ``each strategy restarts its group in start order``
        Register.test "restart types decide on normal and abnormal exits" ``restart types decide on normal and abnormal exits``
        Register.test "the intensity allows MaxRestarts within the window, then again once old restarts leave it" ``the intensity allows MaxRestarts within the window, then again once old restarts leave it``
        Register.test "zero MaxRestarts gives up at the first restart" ``zero MaxRestarts gives up at the first restart``
        Register.test "the backoff grows by its factor up to its cap, within its jitter" ``the backoff grows by its factor up to its cap, within its jitter``
        Register.test "bad options are refused clearly" ``bad options are refused clearly``
        Register.test "a running supervisor keeps the options it opened with" ``a running supervisor keeps the options it opened with``
    ]
