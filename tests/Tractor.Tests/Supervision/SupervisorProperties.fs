/// Supervisors over random failure schedules of real actors (FsCheck): a model of the policy
/// predicts every event (restart counts, the order of stops and restarts, the escalation) and the
/// supervisor's outcome; no process outlives the supervisor (the zombie check).
module TractorNet.Tests.SupervisorProperties

open System
open System.Threading
open System.Threading.Tasks
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TractorNet
open TractorNet.Tests.SupervisionFunctions
open TractorNet.Tests.SupervisionSupport

/// A supervisor, its daemons (one restart type each) and a schedule of exits: (position, exit
/// status), 0 a normal exit, anything else a crash.
type SupervisionCase =
    { Strategy: SupervisionStrategy
      Children: RestartType list
      MaxRestarts: int
      Schedule: (int * int) list }

/// What the model predicts for one case.
type Prediction =
    { /// Per schedule step: None when the target has ended for good (the step is skipped), else
      /// the number of events once the supervisor has dealt with it.
      Steps: int option list
      /// The step whose exit makes the supervisor escalate, if any (the schedule ends there).
      EscalatesAt: int option
      /// Every event, the final cancellation's included.
      Events: Seen list }

/// The policy, written again independently of the supervisor: Erlang/OTP's rules.
module Model =
    let restarts (restart: RestartType) (status: int) =
        match restart with
        | RestartType.Permanent -> true
        | RestartType.Transient -> status <> 0
        | _ -> false

    let predict (case: SupervisionCase) : Prediction =
        let types = Array.ofList case.Children
        let running = Array.create types.Length true
        let events = ResizeArray(List.init types.Length started)
        let mutable count = 0
        let mutable escalatesAt = None
        let steps = ResizeArray()

        let runningFrom (p: int -> bool) = [ for j in 0 .. types.Length - 1 do if running[j] && p j then j ]

        for step, (i, status) in List.indexed case.Schedule do
            if escalatesAt.IsSome then
                ()
            elif not running[i] then
                steps.Add None
            else
                running[i] <- false
                events.Add(exited i (if status = 0 then ExitReason.Normal else ExitReason.Failed))

                if restarts types[i] status then
                    if count >= case.MaxRestarts then
                        for j in List.rev (runningFrom (fun _ -> true)) do
                            running[j] <- false
                            events.Add(exited j ExitReason.Shutdown)

                        events.Add escalated
                        escalatesAt <- Some step
                    else
                        count <- count + 1

                        let siblings =
                            match case.Strategy with
                            | SupervisionStrategy.OneForAll -> runningFrom (fun _ -> true)
                            | SupervisionStrategy.RestForOne -> runningFrom (fun j -> j > i)
                            | _ -> []

                        for j in List.rev siblings do
                            running[j] <- false
                            events.Add(exited j ExitReason.Shutdown)

                        let again = i :: (siblings |> List.filter (fun j -> types[j] <> RestartType.Temporary)) |> List.sort

                        for j in again do
                            running[j] <- true
                            events.Add(restarted j)

                steps.Add(Some events.Count)

        if escalatesAt.IsNone then
            for j in List.rev (runningFrom (fun _ -> true)) do
                events.Add(exited j ExitReason.Shutdown)

        { Steps = List.ofSeq steps; EscalatesAt = escalatesAt; Events = List.ofSeq events }

/// Runs a case with real daemons and checks the supervisor against the model.
let check (case: SupervisionCase) : Task<unit> =
    task {
        let expected = Model.predict case
        let options = SupervisorOptions(Strategy = case.Strategy, MaxRestarts = case.MaxRestarts, Within = TimeSpan.FromHours 1.0)
        // A small backoff, so that its path runs; the intensity window is an hour, so the model counts restarts only.
        options.InitialBackoff <- TimeSpan.FromMilliseconds 1.0
        options.MaxBackoff <- TimeSpan.FromMilliseconds 4.0
        let recorder = ref Unchecked.defaultof<EventRecorder>
        let pids = Collections.Concurrent.ConcurrentBag<int>()

        let! error =
            catchAsync (fun () ->
                supervisorWith options {
                    let! r = record
                    recorder.Value <- r
                    let! s = currentSupervisor
                    let portals = ResizeArray<Portal>()

                    for i, restart in List.indexed case.Children do
                        let! p = superviseActor ($"c{i}", [ moduleName ], restart)
                        portals.Add p

                    for (i, status), step in List.zip (List.truncate expected.Steps.Length case.Schedule) expected.Steps do
                        match step with
                        | None -> ()
                        | Some count ->
                            let! pid = portals[i].Run pid
                            pids.Add pid
                            let! failed = catchAsync (fun () -> portals[i].Run(exitWith status))
                            Assert.That(failed, Is.Not.Null, "the call in flight when the actor exited fails")

                            if expected.EscalatesAt.IsSome && count = expected.Events.Length then
                                // The escalation cancels this body.
                                do! Task.Delay(Timeout.Infinite, s.Nursery.Token)
                            else
                                do! r.WaitFor count

                    s.Cancel()
                    return ()
                })

        let label = $"case %A{case}\nexpected %A{expected.Events}\nseen     %A{recorder.Value.Seen}"
        Assert.That(recorder.Value.Seen, eq expected.Events, label)

        match expected.EscalatesAt with
        | None -> Assert.That(error, Is.Null, label)
        | Some step ->
            let _, status = case.Schedule[step]
            let expectedType = if status = 0 then typeof<RestartIntensityError> else typeof<ActorDiedError>
            Assert.That(error, Is.InstanceOf expectedType, label)

        Assert.That(pids |> Seq.exists isAlive, Is.False, "no process outlives the supervisor")
    }

let private caseGen: Gen<SupervisionCase> =
    gen {
        let! strategy = Gen.elements [ SupervisionStrategy.OneForOne; SupervisionStrategy.OneForAll; SupervisionStrategy.RestForOne ]
        let! n = Gen.choose (1, 3)
        let! children = Gen.listOfLength n (Gen.elements [ RestartType.Permanent; RestartType.Transient; RestartType.Temporary ])
        let! maxRestarts = Gen.choose (0, 3)
        let! length = Gen.choose (1, 4)
        let! schedule = Gen.listOfLength length (Gen.zip (Gen.choose (0, n - 1)) (Gen.elements [ 0; 3; 3 ]))

        return
            { Strategy = strategy
              Children = children
              MaxRestarts = maxRestarts
              Schedule = schedule }
    }

type SupervisionCases =
    static member Case() = Arb.fromGen caseGen

let ``the model predicts a hand-written case`` () =
    let p =
        Model.predict
            { Strategy = SupervisionStrategy.RestForOne
              Children = [ RestartType.Permanent; RestartType.Transient; RestartType.Temporary ]
              MaxRestarts = 1
              Schedule = [ 1, 3; 2, 3; 0, 3 ] }

    Assert.That(p.Steps, eq [ Some 6; None; Some 9 ])
    Assert.That(p.EscalatesAt, eq (Some 2))

    Assert.That(
        p.Events,
        eq
            [ started 0; started 1; started 2
              exited 1 ExitReason.Failed; exited 2 ExitReason.Shutdown; restarted 1
              exited 0 ExitReason.Failed; exited 1 ExitReason.Shutdown; escalated ]
    )

let ``random failure schedules follow the policy`` (case: SupervisionCase) = (check case).GetAwaiter().GetResult()

[<Expecto.Tests>]
let tests =
    Register.tests "SupervisorProperties" [
        Register.test "the model predicts a hand-written case" ``the model predicts a hand-written case``
        Register.property 8 [ typeof<SupervisionCases> ] "random failure schedules follow the policy (quick tier)" ``random failure schedules follow the policy``
        yield! Register.category "Fuzz" [
            Register.property 80 [ typeof<SupervisionCases> ] "random failure schedules follow the policy (long tier)" ``random failure schedules follow the policy``
        ]
    ]
