/// Supervisors with real actors: each strategy and restart type, the portal that follows a
/// restart, escalation past the restart intensity, cancellation that restarts nothing, nesting.
module TractorNet.Tests.SupervisorTests

open System
open System.Threading.Tasks
open NUnit.Framework
open TractorNet
open TractorNet.Tests.SupervisionFunctions
open TractorNet.Tests.SupervisionSupport

let private options (strategy: SupervisionStrategy) (maxRestarts: int) =
    SupervisorOptions(Strategy = strategy, MaxRestarts = maxRestarts, Within = TimeSpan.FromMinutes 10.0)

let ``a flaky worker is restarted one-for-one until it succeeds`` () =
    withCounter (fun counter ->
        task {
            let! value, recorder =
                supervisorWith (options SupervisionStrategy.OneForOne 5) {
                    let! r = record
                    let! w = superviseRun ("flaky", RestartType.Transient, flaky counter 2)
                    let! v = w.Result()
                    return v, r
                }

            Assert.That(value, eq 3)
            Assert.That(attempts counter, eq 3)

            Assert.That(
                recorder.Seen,
                eq [ started 0; exited 0 ExitReason.Failed; restarted 0; exited 0 ExitReason.Failed; restarted 0; exited 0 ExitReason.Normal ]
            )

            let failures = recorder.Events |> List.filter (fun e -> e.Reason = ExitReason.Failed)
            Assert.That(failures |> List.forall (fun e -> e.Error :? RemoteActorError), "a failed exit carries the child's error")
            Assert.That(recorder.Events |> List.map _.Restarts, eq [ 0; 0; 1; 1; 2; 2 ])
            Assert.That(recorder.Completed.IsCompleted, "the event stream completes when the supervisor ends")
        })

let ``a crashed daemon is restarted one-for-one, its portal follows the new process and the call in flight fails with its death`` () =
    task {
        let! (inFlight: exn), oldA, pids, newA, recorder =
            supervisor {
                let! r = record
                let! a = superviseActor ("a", [ moduleName ])
                let! b = superviseActor ("b", [ moduleName ])
                let! pidA = a.Run pid
                let! pidB = b.Run pid
                let oldA = a.Actor
                let! inFlight = catchAsync (fun () -> a.Run(exitWith 3))
                do! r.WaitFor 4
                let! pidA2 = a.Run pid
                let! pidB2 = b.Run pid
                let! nameA = a.Run name
                let newA = a.Actor
                let! _ = a.CancelActor()
                let! _ = b.CancelActor()
                return inFlight, oldA, (pidA, pidA2, pidB, pidB2, nameA), newA, r
            }

        let pidA, pidA2, pidB, pidB2, nameA = pids

        match inFlight with
        | :? ActorDiedError as d ->
            Assert.That(d.Actor, eq oldA, "the error names the process that died")
            Assert.That(d.ExitCode, eq 3)
        | e -> Assert.Fail $"expected ActorDiedError, got {e}"

        Assert.That(pidA2, Is.Not.EqualTo pidA, "the portal reaches the new process")
        Assert.That(newA.Uid, Is.Not.EqualTo oldA.Uid)
        Assert.That(nameA, eq "a")
        Assert.That(pidB2, eq pidB, "one-for-one leaves the sibling alone")
        Assert.That(isAlive pidA || isAlive pidA2 || isAlive pidB, Is.False, "every process is reaped")

        Assert.That(
            recorder.Seen,
            eq
                [ started 0
                  started 1
                  exited 0 ExitReason.Failed
                  restarted 0
                  exited 0 ExitReason.Stopped
                  exited 1 ExitReason.Stopped ]
        )
    }

/// Three daemons under `strategy`; the middle one crashes; gives the events and which pids changed.
let private crashMiddle (strategy: SupervisionStrategy) (expectedAfterCrash: int) =
    task {
        let! changed, recorder =
            supervisorWith (options strategy 3) {
                let! r = record
                let! s = currentSupervisor
                let! a = superviseActor ("a", [ moduleName ])
                let! b = superviseActor ("b", [ moduleName ])
                let! c = superviseActor ("c", [ moduleName ])
                let portals = [ a; b; c ]
                let! before = Task.WhenAll(portals |> List.map (fun p -> p.Run pid))
                let! _ = catchAsync (fun () -> b.Run(exitWith 3))
                do! r.WaitFor(3 + expectedAfterCrash)
                let! after = Task.WhenAll(portals |> List.map (fun p -> p.Run pid))
                s.Cancel()
                return Array.map2 (<>) before after |> List.ofArray, r
            }

        return changed, recorder.Seen
    }

let ``one-for-all stops the others in reverse order and restarts all in start order`` () =
    task {
        let! changed, events = crashMiddle SupervisionStrategy.OneForAll 6
        Assert.That(changed, eq [ true; true; true ])

        Assert.That(
            events,
            eq
                [ started 0; started 1; started 2
                  exited 1 ExitReason.Failed
                  exited 2 ExitReason.Shutdown
                  exited 0 ExitReason.Shutdown
                  restarted 0; restarted 1; restarted 2
                  // The supervisor's cancellation: reverse order, nothing restarted.
                  exited 2 ExitReason.Shutdown; exited 1 ExitReason.Shutdown; exited 0 ExitReason.Shutdown ]
        )
    }

let ``rest-for-one restarts the child and those started after it`` () =
    task {
        let! changed, events = crashMiddle SupervisionStrategy.RestForOne 4
        Assert.That(changed, eq [ false; true; true ])

        Assert.That(
            events,
            eq
                [ started 0; started 1; started 2
                  exited 1 ExitReason.Failed
                  exited 2 ExitReason.Shutdown
                  restarted 1; restarted 2
                  exited 2 ExitReason.Shutdown; exited 1 ExitReason.Shutdown; exited 0 ExitReason.Shutdown ]
        )
    }

let ``restart types decide which exits are restarted`` () =
    task {
        let! (calls: exn list), recorder =
            supervisorWith (options SupervisionStrategy.OneForOne 5) {
                let! r = record
                let! permanent = superviseActor ("permanent", [ moduleName ], RestartType.Permanent)
                let! transientOk = superviseActor ("transient-ok", [ moduleName ], RestartType.Transient)
                let! temporary = superviseActor ("temporary", [ moduleName ], RestartType.Temporary)
                let! transientBad = superviseActor ("transient-bad", [ moduleName ], RestartType.Transient)
                let! _ = catchAsync (fun () -> permanent.Run(exitWith 0))
                do! r.WaitFor 6
                let! _ = catchAsync (fun () -> transientOk.Run(exitWith 0))
                do! r.WaitFor 7
                let! _ = catchAsync (fun () -> temporary.Run(exitWith 3))
                do! r.WaitFor 8
                let! _ = catchAsync (fun () -> transientBad.Run(exitWith 3))
                do! r.WaitFor 10
                // The ones not restarted refuse calls, clearly; the others serve them.
                let! e1 = catchAsync (fun () -> transientOk.Run pid)
                let! e2 = catchAsync (fun () -> temporary.Run pid)
                let! e3 = catchAsync (fun () -> permanent.Run pid)
                let! e4 = catchAsync (fun () -> transientBad.Run pid)
                let! _ = permanent.CancelActor()
                let! _ = transientBad.CancelActor()
                // Every child has ended for good: the supervisor ends with its body.
                return [ e1; e2; e3; e4 ], r
            }

        Assert.That(
            recorder.Seen,
            eq
                [ started 0; started 1; started 2; started 3
                  exited 0 ExitReason.Normal; restarted 0
                  exited 1 ExitReason.Normal
                  exited 2 ExitReason.Failed
                  exited 3 ExitReason.Failed; restarted 3
                  exited 0 ExitReason.Stopped
                  exited 3 ExitReason.Stopped ]
        )

        match calls with
        | [ e1; e2; e3; e4 ] ->
            Assert.That(e1, Is.InstanceOf<InvalidOperationException>())
            Assert.That(e1.Message, Does.Contain "ended normally")
            Assert.That(e2, Is.InstanceOf<ActorDiedError>(), "a call to a temporary child that died fails with its death")
            Assert.That(e3, Is.Null)
            Assert.That(e4, Is.Null)
        | _ -> Assert.Fail "four calls"
    }

let ``past the restart intensity the supervisor escalates the last error to the enclosing nursery`` () =
    withCounter (fun counter ->
        task {
            let recorder = ref Unchecked.defaultof<EventRecorder>
            let sibling = ref 0

            let! error =
                catchAsync (fun () ->
                    nursery {
                        // An unsupervised sibling: the escalation, an ordinary error, cancels it.
                        let! h = runInActor ("sibling", ActorFunctions.hang)
                        sibling.Value <- h.Pid

                        let! v =
                            supervisorWith (options SupervisionStrategy.OneForOne 2) {
                                let! r = record
                                recorder.Value <- r
                                let! w = superviseRun ("doomed", RestartType.Transient, flaky counter 100)
                                return! w.Result()
                            }

                        return v
                    })

            Assert.That(error, Is.InstanceOf<RemoteActorError>())
            Assert.That(error.Message, Does.Contain "attempt 3 failed", "the last error is escalated")
            Assert.That(attempts counter, eq 3, "two restarts, then no more")
            Assert.That(isAlive sibling.Value, Is.False)

            Assert.That(
                recorder.Value.Seen,
                eq
                    [ started 0
                      exited 0 ExitReason.Failed; restarted 0
                      exited 0 ExitReason.Failed; restarted 0
                      exited 0 ExitReason.Failed
                      escalated ]
            )

            let last = List.last recorder.Value.Events
            Assert.That(obj.ReferenceEquals(last.Error, error), "the escalated event carries the error raised")
        })

let ``a permanent function that keeps returning escalates a RestartIntensityError`` () =
    withCounter (fun counter ->
        task {
            let! error =
                catchAsync (fun () ->
                    supervisorWith (options SupervisionStrategy.OneForOne 1) {
                        let! w = superviseRun ("returns", RestartType.Permanent, countAttempt counter)
                        return! w.Result()
                    })

            Assert.That(error, Is.InstanceOf<RestartIntensityError>())
            Assert.That(attempts counter, eq 2)
        })

let ``cancelling a supervisor reaps every child in reverse order and restarts none`` () =
    task {
        let! pids, recorder =
            supervisorWith (options SupervisionStrategy.OneForAll 5) {
                let! r = record
                let! s = currentSupervisor
                let! a = superviseActor ("a", [ moduleName ])
                let! b = superviseActor ("b", [ moduleName ])
                let! c = superviseActor ("c", [ moduleName ])
                let! pids = Task.WhenAll [ a.Run pid; b.Run pid; c.Run pid ]
                s.Cancel()
                return pids, r
            }

        Assert.That(pids |> Array.exists isAlive, Is.False, "every child is reaped when the supervisor returns")

        Assert.That(
            recorder.Seen,
            eq [ started 0; started 1; started 2; exited 2 ExitReason.Shutdown; exited 1 ExitReason.Shutdown; exited 0 ExitReason.Shutdown ]
        )
    }

let ``cancelled during a backoff the supervisor restarts nothing`` () =
    task {
        let slow = options SupervisionStrategy.OneForOne 5
        slow.InitialBackoff <- TimeSpan.FromMinutes 10.0
        slow.MaxBackoff <- TimeSpan.FromMinutes 10.0

        let recorder = ref Unchecked.defaultof<EventRecorder>

        do!
            nursery {
                let! n = currentNursery

                do!
                    supervisorWith slow {
                        let! r = record
                        recorder.Value <- r
                        let! a = superviseActor ("a", [ moduleName ])
                        let! b = superviseActor ("b", [ moduleName ])
                        let! _ = catchAsync (fun () -> a.Run(exitWith 3))
                        do! r.WaitFor 3
                        // The enclosing nursery's cancellation reaches the supervisor in its backoff.
                        n.Cancel()
                        let! _ = b.Run pid
                        return ()
                    }
            }

        Assert.That(recorder.Value.Seen, eq [ started 0; started 1; exited 0 ExitReason.Failed; exited 1 ExitReason.Shutdown ])
    }

let ``a call made while the actor is being restarted waits for the new process`` () =
    task {
        let paced = options SupervisionStrategy.OneForOne 3
        paced.InitialBackoff <- TimeSpan.FromMilliseconds 300.0
        paced.BackoffJitter <- 0.0

        let! before, after =
            supervisorWith paced {
                let! r = record
                let! s = currentSupervisor
                let! a = superviseActor ("a", [ moduleName ])
                let! before = a.Run pid
                let! _ = catchAsync (fun () -> a.Run(exitWith 3))
                // The exit is published once the portal waits for the restart; the backoff still runs.
                do! r.WaitFor 2
                let! after = a.Run pid
                Assert.That(r.Seen |> List.last, eq (restarted 0), "the call was answered by the replacement")
                s.Cancel()
                return before, after
            }

        Assert.That(after, Is.Not.EqualTo before)
    }

let ``CancelActor during a restart stops the new process for good`` () =
    task {
        let paced = options SupervisionStrategy.OneForOne 3
        paced.InitialBackoff <- TimeSpan.FromMilliseconds 300.0

        let! recorder =
            supervisorWith paced {
                let! r = record
                let! a = superviseActor ("a", [ moduleName ])
                let! _ = catchAsync (fun () -> a.Run(exitWith 3))
                do! r.WaitFor 2
                let! _ = a.CancelActor()
                let! refused = catchAsync (fun () -> a.Run pid)
                Assert.That(refused, Is.InstanceOf<InvalidOperationException>(), "a stopped child refuses calls")
                // The only child has ended for good: the supervisor ends with its body.
                return r
            }

        Assert.That(recorder.Seen, eq [ started 0; exited 0 ExitReason.Failed; restarted 0; exited 0 ExitReason.Stopped ])
    }

let ``a supervisor in a supervised actor escalates to its supervisor, which restarts that actor`` () =
    withCounter (fun counter ->
        task {
            let! v, recorder =
                supervisor {
                    let! r = record
                    let! middle = superviseRun ("middle", RestartType.Transient, nestedSupervisor counter 1)
                    let! v = middle.Result()
                    return v, r
                }

            Assert.That(v, eq 2, "the second grandchild succeeded")
            Assert.That(recorder.Seen, eq [ started 0; exited 0 ExitReason.Failed; restarted 0; exited 0 ExitReason.Normal ])
        })

let ``a nursery in a supervised actor fails it, and the supervisor restarts it`` () =
    withCounter (fun counter ->
        task {
            let! v =
                supervisor {
                    let! middle = superviseRun ("middle", RestartType.Transient, nestedNursery counter 1)
                    return! middle.Result()
                }

            Assert.That(v, eq 2)
        })

let ``a discoverable supervised daemon is found by name again after it is restarted`` () =
    task {
        TractorNet.Tests.DiscoverySupport.useOwnRegistry () |> ignore

        let! before, after, portalPid =
            supervisor {
                let! r = record
                let! d = superviseDiscoverableActor ("sup-findable", [ moduleName ])
                let! found = findActor "sup-findable"
                let! _ = catchAsync (fun () -> d.Run(exitWith 3))
                do! r.WaitFor 3 // started, exited, restarted: the new process is registered by then
                let! again = findActor "sup-findable"
                let! viaName = again.Value.Run pid
                let! _ = d.CancelActor()
                return found.Value.Pid, viaName, d.Pid
            }

        Assert.That(after, Is.Not.EqualTo before, "the name leads to the new process")
        Assert.That(after, eq portalPid, "the same process as the supervised portal's")
        let! gone = findActor "sup-findable"
        Assert.That(gone.IsNone, Is.True, "unregistered once stopped for good")
    }

let ``a supervised operation outside a supervisor is refused clearly`` () =
    task {
        let! error =
            catchAsync (fun () ->
                nursery {
                    let! p = superviseActor ("a", [ moduleName ])
                    return p.Name
                })

        Assert.That(error, Is.InstanceOf<InvalidOperationException>())
        Assert.That(error.Message, Does.Contain "supervisor { }")
    }

[<Expecto.Tests>]
let tests =
    Register.tests "SupervisorTests" [
        Register.test "a flaky worker is restarted one-for-one until it succeeds" ``a flaky worker is restarted one-for-one until it succeeds``
        Register.test "a crashed daemon is restarted one-for-one, its portal follows the new process and the call in flight fails with its death" ``a crashed daemon is restarted one-for-one, its portal follows the new process and the call in flight fails with its death``
        Register.test "one-for-all stops the others in reverse order and restarts all in start order" ``one-for-all stops the others in reverse order and restarts all in start order``
        Register.test "rest-for-one restarts the child and those started after it" ``rest-for-one restarts the child and those started after it``
        Register.test "restart types decide which exits are restarted" ``restart types decide which exits are restarted``
        Register.test "past the restart intensity the supervisor escalates the last error to the enclosing nursery" ``past the restart intensity the supervisor escalates the last error to the enclosing nursery``
        Register.test "a permanent function that keeps returning escalates a RestartIntensityError" ``a permanent function that keeps returning escalates a RestartIntensityError``
        Register.test "cancelling a supervisor reaps every child in reverse order and restarts none" ``cancelling a supervisor reaps every child in reverse order and restarts none``
        Register.test "cancelled during a backoff the supervisor restarts nothing" ``cancelled during a backoff the supervisor restarts nothing``
        Register.test "a call made while the actor is being restarted waits for the new process" ``a call made while the actor is being restarted waits for the new process``
        Register.test "CancelActor during a restart stops the new process for good" ``CancelActor during a restart stops the new process for good``
        Register.test "a discoverable supervised daemon is found by name again after it is restarted" ``a discoverable supervised daemon is found by name again after it is restarted``
        Register.test "a supervisor in a supervised actor escalates to its supervisor, which restarts that actor" ``a supervisor in a supervised actor escalates to its supervisor, which restarts that actor``
        Register.test "a nursery in a supervised actor fails it, and the supervisor restarts it" ``a nursery in a supervised actor fails it, and the supervisor restarts it``
        Register.test "a supervised operation outside a supervisor is refused clearly" ``a supervised operation outside a supervisor is refused clearly``
    ]
