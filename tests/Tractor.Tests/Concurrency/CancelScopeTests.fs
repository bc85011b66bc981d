/// Cancel scopes: cancel, deadlines, shielding, nesting, the ambient scope and checkpoints.
module TractorNet.Tests.CancelScopeTests

open System
open System.Diagnostics
open System.Threading
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.ConcurrencyTestSupport

let ``outside any scope there is no current scope and checkpoint does nothing`` () =
    Assert.That(CancelScope.Current, Is.Null)
    Assert.That(CancelScope.CurrentToken, Is.EqualTo CancellationToken.None)
    Assert.DoesNotThrow(fun () -> CancelScope.checkpoint ())

let ``a cancelled scope's checkpoint throws and the scope absorbs the cancellation`` () =
    let scope = CancelScope()
    let mutable after = false
    let r =
        CancelScope.run scope (fun _ -> task {
            scope.Cancel()
            CancelScope.checkpoint ()
            after <- true
            return 1 })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: int voption))
    Assert.That(after, Is.False, "checkpoint must throw once the scope is cancelled")
    Assert.That(scope.CancelCalled, Is.True)
    Assert.That(scope.CancelledCaught, Is.True)

let ``a body that finishes despite a cancel returns its value and nothing is caught`` () =
    let scope = CancelScope()
    let r = CancelScope.run scope (fun ct -> task { scope.Cancel(); return ct.IsCancellationRequested }) |> await
    Assert.That(r, Is.EqualTo(ValueSome true))
    Assert.That(scope.CancelledCaught, Is.False)

let ``inside the body the scope is current and its token is the ambient token; afterwards it is gone`` () =
    let scope = CancelScope()
    let seen =
        CancelScope.run scope (fun ct -> task {
            do! Task.Yield()
            return obj.ReferenceEquals(CancelScope.Current, scope), CancelScope.CurrentToken = ct, ct = scope.Token })
        |> await
    Assert.That(seen, Is.EqualTo(ValueSome(true, true, true)))
    Assert.That(CancelScope.Current, Is.Null)

let ``the ambient scope does not leak into the caller when the body completes synchronously`` () =
    let t = CancelScope.run (CancelScope()) (fun _ -> Task.FromResult 1)
    Assert.That(CancelScope.Current, Is.Null)
    Assert.That(await t, Is.EqualTo(ValueSome 1))

let ``cancelling an outer scope cancels the inner one, and the cancellation propagates to the outer`` () =
    let outer = CancelScope()
    let inner = CancelScope()
    let mutable afterInner = false
    let r =
        CancelScope.run outer (fun _ -> task {
            let! _ = CancelScope.run inner (fun ct -> task {
                outer.Cancel()
                do! hang ct })
            afterInner <- true })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))
    Assert.That(afterInner, Is.False, "the inner scope must not absorb a cancellation it did not cause")
    Assert.That(inner.IsCancellationRequested, Is.True)
    Assert.That((inner.CancelCalled, inner.CancelledCaught), Is.EqualTo((false, false)))
    Assert.That(outer.CancelledCaught, Is.True)

let ``cancelling an inner scope leaves the outer one running`` () =
    let outer = CancelScope()
    let inner = CancelScope()
    let r =
        CancelScope.run outer (fun outerCt -> task {
            let! i = CancelScope.run inner (fun ct -> task {
                inner.Cancel()
                do! hang ct
                return 1 })
            return i, outerCt.IsCancellationRequested })
        |> await
    Assert.That(r, Is.EqualTo(ValueSome((ValueNone: int voption), false)))
    Assert.That(inner.CancelledCaught, Is.True)
    Assert.That(outer.CancelCalled, Is.False)

let ``a scope opened inside a cancelled scope starts cancelled`` () =
    let outer = CancelScope()
    outer.Cancel()
    let r =
        CancelScope.run outer (fun _ -> CancelScope.run (CancelScope()) (fun ct -> task { return ct.IsCancellationRequested }))
        |> await
    Assert.That(r, Is.EqualTo(ValueSome(ValueSome true)))

let ``a cancel before the body starts cancels the body from its start`` () =
    let scope = CancelScope()
    scope.Cancel()
    let r = CancelScope.run scope (fun ct -> task { do! hang ct }) |> await
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))
    Assert.That(scope.CancelledCaught, Is.True)

let ``a shielded scope is not cancelled by enclosing scopes; the outer's next checkpoint is`` () =
    let outer = CancelScope()
    let steps = ResizeArray<string>()
    let r =
        CancelScope.run outer (fun _ -> task {
            outer.Cancel()
            let! v = CancelScope.shield (fun ct -> task {
                CancelScope.checkpoint ()
                do! Task.Delay(1, ct)
                steps.Add $"shielded body ran; token cancelled: {ct.IsCancellationRequested}"
                return 5 })
            steps.Add $"shield returned {v}"
            CancelScope.checkpoint ()
            steps.Add "not reached" })
        |> await
    Assert.That(steps, Is.EqualTo<string seq> [ "shielded body ran; token cancelled: False"; "shield returned 5" ])
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))
    Assert.That(outer.CancelledCaught, Is.True)

let ``a shielded scope still obeys its own deadline`` () =
    let outer = CancelScope()
    outer.Cancel()
    let shielded = CancelScope(Shield = true)
    shielded.CancelAfter(TimeSpan.FromMilliseconds 20.0)
    let r =
        CancelScope.run outer (fun _ -> task {
            let! inner = CancelScope.run shielded (fun ct -> task { do! hang ct })
            return inner })
        |> await
    Assert.That(r, Is.EqualTo(ValueSome(ValueNone: unit voption)))
    Assert.That(shielded.CancelledCaught, Is.True)

let ``Shield cannot change once the body has started, and a scope runs only once`` () =
    let scope = CancelScope()
    CancelScope.run scope (fun _ -> task {
        Assert.Throws<InvalidOperationException>(fun () -> scope.Shield <- true) |> ignore })
    |> await
    |> ignore
    let again = raisedBy (CancelScope.run scope (fun _ -> task { return () }))
    Assert.That(again, Is.InstanceOf<InvalidOperationException>())

let ``moveOnAfter cuts a hanging body short after it has unwound`` () =
    let mutable unwound = false
    let r =
        CancelScope.moveOnAfter (TimeSpan.FromMilliseconds 20.0) (fun ct -> task {
            try
                do! hang ct
            finally
                unwound <- true })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))
    Assert.That(unwound, Is.True)

let ``moveOnAfter returns the value of a body that finishes in time`` () =
    let r =
        CancelScope.moveOnAfter (TimeSpan.FromMinutes 1.0) (fun ct -> task {
            do! Task.Delay(1, ct)
            return "done" })
        |> await
    Assert.That(r, Is.EqualTo(ValueSome "done"))

let ``failAfter raises TimeoutException once the body has unwound`` () =
    let mutable unwound = false
    let e =
        raisedBy (
            CancelScope.failAfter (TimeSpan.FromMilliseconds 20.0) (fun ct -> task {
                try
                    do! hang ct
                finally
                    unwound <- true })
        )
    Assert.That(e, Is.InstanceOf<TimeoutException>())
    Assert.That(e.InnerException, Is.InstanceOf<OperationCanceledException>())
    Assert.That(unwound, Is.True)

let ``failAfter returns the value of a body that finishes in time`` () =
    let r = CancelScope.failAfter (TimeSpan.FromMinutes 1.0) (fun _ -> task { return 42 }) |> await
    Assert.That(r, Is.EqualTo 42)

let ``a body's own error passes through unchanged, stack trace included`` () =
    let e = raisedBy (CancelScope.failAfter (TimeSpan.FromMinutes 1.0) (fun _ -> task { throwBoom () }))
    Assert.That(e, Is.InstanceOf<InvalidOperationException>())
    Assert.That(e.Message, Is.EqualTo "boom")
    Assert.That(e.StackTrace, Does.Contain(nameof throwBoom))

let ``a cancellation the scope did not cause is not absorbed`` () =
    use other = new CancellationTokenSource()
    other.Cancel()
    let scope = CancelScope()
    let e = raisedBy (CancelScope.run scope (fun _ -> task { do! Task.Delay(Timeout.Infinite, other.Token) }))
    Assert.That(e, Is.InstanceOf<OperationCanceledException>())
    Assert.That(scope.CancelledCaught, Is.False)

let ``a deadline fires by itself, on time and not early`` () =
    let scope = CancelScope()
    let delay = TimeSpan.FromMilliseconds 50.0
    let sw = Stopwatch.StartNew()
    scope.CancelAfter delay
    let r = CancelScope.run scope (fun ct -> task { do! hang ct }) |> await
    sw.Stop()
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))
    Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo delay)

let ``CancelAfter moves or removes the deadline`` () =
    let scope = CancelScope()
    Assert.That(scope.TimeRemaining, Is.EqualTo Timeout.InfiniteTimeSpan)
    scope.CancelAfter(TimeSpan.FromHours 1.0)
    Assert.That(scope.TimeRemaining, Is.InRange(TimeSpan.FromMinutes 59.0, TimeSpan.FromHours 1.0))
    scope.CancelAfter(TimeSpan.FromMilliseconds 20.0)
    let r =
        CancelScope.run scope (fun ct -> task {
            // Removed before it passes: the body outlives the old deadline.
            scope.CancelAfter Timeout.InfiniteTimeSpan
            do! Task.Delay(100, ct)
            return ct.IsCancellationRequested })
        |> await
    Assert.That(r, Is.EqualTo(ValueSome false))
    Assert.That(scope.TimeRemaining, Is.EqualTo Timeout.InfiniteTimeSpan)

let ``CancelAfter zero cancels at once; a negative delay is refused`` () =
    let scope = CancelScope()
    scope.CancelAfter TimeSpan.Zero
    Assert.That((scope.CancelCalled, scope.Token.IsCancellationRequested), Is.EqualTo((true, true)))
    Assert.That(scope.TimeRemaining, Is.EqualTo TimeSpan.Zero)
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> CancelScope().CancelAfter(TimeSpan.FromSeconds -1.0)) |> ignore

let ``RunAsync returns default and sets CancelledCaught when cut short`` () =
    let scope = CancelScope()
    scope.CancelAfter(TimeSpan.FromMilliseconds 10.0)
    let v =
        scope.RunAsync(fun ct -> task {
            do! hang ct
            return "never" })
        |> await
    Assert.That(v, Is.Null)
    Assert.That(scope.CancelledCaught, Is.True)

let ``a body that returns a null task is a clear error`` () =
    let e = raisedBy (CancelScope().RunAsync(Func<CancellationToken, Task>(fun _ -> null)))
    Assert.That(e, Is.InstanceOf<InvalidOperationException>())
    Assert.That(e.Message, Does.Contain "null")

let ``ordinary .NET code cooperates through the token`` () =
    let r =
        CancelScope.moveOnAfter (TimeSpan.FromMilliseconds 20.0) (fun _ -> task {
            // No token passed explicitly: the ambient one reaches code that only knows CancellationToken.
            do! Task.Delay(Timeout.Infinite, CancelScope.CurrentToken) })
        |> await
    Assert.That(r, Is.EqualTo(ValueNone: unit voption))

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "CancelScopeTests" [
        Register.test "outside any scope there is no current scope and checkpoint does nothing" ``outside any scope there is no current scope and checkpoint does nothing``
        Register.test "a cancelled scope's checkpoint throws and the scope absorbs the cancellation" ``a cancelled scope's checkpoint throws and the scope absorbs the cancellation``
        Register.test "a body that finishes despite a cancel returns its value and nothing is caught" ``a body that finishes despite a cancel returns its value and nothing is caught``
        Register.test "inside the body the scope is current and its token is the ambient token; afterwards it is gone" ``inside the body the scope is current and its token is the ambient token; afterwards it is gone``
        Register.test "the ambient scope does not leak into the caller when the body completes synchronously" ``the ambient scope does not leak into the caller when the body completes synchronously``
        Register.test "cancelling an outer scope cancels the inner one, and the cancellation propagates to the outer" ``cancelling an outer scope cancels the inner one, and the cancellation propagates to the outer``
        Register.test "cancelling an inner scope leaves the outer one running" ``cancelling an inner scope leaves the outer one running``
        Register.test "a scope opened inside a cancelled scope starts cancelled" ``a scope opened inside a cancelled scope starts cancelled``
        Register.test "a cancel before the body starts cancels the body from its start" ``a cancel before the body starts cancels the body from its start``
        Register.test "a shielded scope is not cancelled by enclosing scopes; the outer's next checkpoint is" ``a shielded scope is not cancelled by enclosing scopes; the outer's next checkpoint is``
        Register.test "a shielded scope still obeys its own deadline" ``a shielded scope still obeys its own deadline``
        Register.test "Shield cannot change once the body has started, and a scope runs only once" ``Shield cannot change once the body has started, and a scope runs only once``
        Register.test "moveOnAfter cuts a hanging body short after it has unwound" ``moveOnAfter cuts a hanging body short after it has unwound``
        Register.test "moveOnAfter returns the value of a body that finishes in time" ``moveOnAfter returns the value of a body that finishes in time``
        Register.test "failAfter raises TimeoutException once the body has unwound" ``failAfter raises TimeoutException once the body has unwound``
        Register.test "failAfter returns the value of a body that finishes in time" ``failAfter returns the value of a body that finishes in time``
        Register.test "a body's own error passes through unchanged, stack trace included" ``a body's own error passes through unchanged, stack trace included``
        Register.test "a cancellation the scope did not cause is not absorbed" ``a cancellation the scope did not cause is not absorbed``
        Register.test "a deadline fires by itself, on time and not early" ``a deadline fires by itself, on time and not early``
        Register.test "CancelAfter moves or removes the deadline" ``CancelAfter moves or removes the deadline``
        Register.test "CancelAfter zero cancels at once; a negative delay is refused" ``CancelAfter zero cancels at once; a negative delay is refused``
        Register.test "RunAsync returns default and sets CancelledCaught when cut short" ``RunAsync returns default and sets CancelledCaught when cut short``
        Register.test "a body that returns a null task is a clear error" ``a body that returns a null task is a clear error``
        Register.test "ordinary .NET code cooperates through the token" ``ordinary .NET code cooperates through the token``
    ]
