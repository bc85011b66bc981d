/// Property-based fuzzing of failure trees: random trees of real actor processes that return,
/// raise, hang, linger, block, exit, stream to their parent or get SIGKILLed, checked against the model and against each
/// node's journal. The quick tier runs in the normal suite with a fixed seed rotation, once on a
/// quiet machine and once (fewer, smaller cases) with the cores starved; the long tier
/// (`dotnet fsi build.fsx -t Fuzz`) runs hundreds of random cases.
///
/// Environment: TRACTOR_FUZZ_LONG=<cases> enables the long tier; TRACTOR_FUZZ_SEED="seed,gamma"
/// replays a run (same case count), "seed,gamma,size" one case; TRACTOR_FUZZ_NODES=<n> bounds
/// the long tier's trees (default 8); TRACTOR_FUZZ_LOAD=<n> runs n busy-loop processes beside
/// the cases (CPU starvation: races that a quiet machine hides open wide; 6 on 2 cores is what
/// found the orphan of a parent killed mid-spawn). The long tier under load:
///
///     TRACTOR_FUZZ_LOAD=6 TRACTOR_FUZZ_LONG=300 dotnet fsi build.fsx -t Fuzz
module TractorNet.Tests.FailureTreeProperties

open System
open System.Diagnostics
open System.IO
open System.Threading.Tasks
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TractorNet
open TractorNet.Testing
open TractorNet.Tests.FailureTreeModel
open TractorNet.Tests.FailureTreeNodes
open TractorNet.Tests.FailureTreeNodes.Journal

/// Short ladder so cases stay fast (restored after each case).
let ladder = { Graceful = TimeSpan.FromMilliseconds 300.0; Terminate = TimeSpan.FromMilliseconds 200.0 }

/// The ladder of one case: `ladder`, stretched by how overloaded the machine is as the case starts
/// (the one-minute load average per core, 1x to 8x). On a quiet machine an actor acts on its cancel
/// well within `ladder`; under a load many times the cores (parallel builds beside the suite) it
/// may not, and the ladder then ends it before it could journal its cancellation, which the
/// checker cannot tell from a cancel that never arrived.
let ladderUnderLoad () =
    let perCore =
        try
            let load = (File.ReadAllText "/proc/loadavg").Split(' ')[0]
            Double.Parse(load, Globalization.CultureInfo.InvariantCulture) / float Environment.ProcessorCount
        with _ ->
            1.0

    let factor = Math.Clamp(perCore, 1.0, 8.0)
    { Graceful = ladder.Graceful * factor; Terminate = ladder.Terminate * factor }

/// Scheduling slack in the time bounds (a loaded 2-core machine); the bounds catch hangs.
let slack = TimeSpan.FromSeconds 5.0

/// A case that runs longer than this is a hang.
let caseTimeout = TimeSpan.FromSeconds 120.0

let private ms (ticks: int64) = float ticks * 1000.0 / float Stopwatch.Frequency

/// Known bug (found by fuzzing): a daemon that dies during a portal call is reported
/// twice (TransportClosedError from the call, ActorDiedError from its supervisor). While true, the
/// checker counts that pair once so fuzzing can look past it; set it to false once the regression
/// test ``a daemon that dies during a portal call is reported once`` passes.
[<Literal>]
let ToleratedDaemonDeathTwice = false

/// Known bug (found by fuzzing): a child still starting when its parent is SIGKILLed
/// (or exits) has no parent-death signal yet and outlives the root nursery, exiting on its own a
/// little later. While true, the checker accepts such an orphan (a node that never started, below
/// a node that died abruptly) if it is gone within `orphanBound`; set it to false once the
/// regression test ``a grandchild still starting when its parent is SIGKILLed is gone when the
/// nursery exits`` passes.
[<Literal>]
let ToleratedStartingOrphans = false

/// Known bug (found by fuzzing): cancelling a call whose connection has just
/// closed throws ChannelClosedException from the cancellation callback, and the nursery records it
/// as one more error. While true, the checker notes such an error instead of failing; set it to
/// false once ``cancelling a call whose connection just closed raises nothing from the
/// cancellation`` passes.
[<Literal>]
let ToleratedCancelCallbackError = false

/// How long an orphan may take to notice its parent is gone and exit (its start-up included).
let orphanBound = TimeSpan.FromSeconds 10.0

/// Everything one case showed.
type Observation =
    { Specs: NodeSpec list
      Prediction: Prediction
      Run: RootRun
      Journal: Map<string, Entry list>
      /// Processes of this test run alive right after the root nursery exited.
      Alive: OurProcesses.OurProcess list
      /// Processes still listed then but with a SIGKILL pending (dead, not yet gone).
      Dying: int list
      /// Those of `Alive` that exited on their own within `orphanBound` after the root exited.
      GoneLater: int list
      /// What the checker excused (filled in by `runCase`).
      Notes: string list
      /// The cancel ladder the case ran with.
      Ladder: CancelLadder }

/// Every broken promise in one case's observation (empty: the case passed), and notes on what
/// was excused (failures that stopped at a cancelled or dead actor, tolerated known bugs).
let audit (o: Observation) : string list * string list =
    let notes = ResizeArray<string>()
    let p = o.Prediction
    let all = nodes o.Specs
    let spec = all |> List.map (fun s -> s.Name, s) |> Map.ofList
    let entries name = o.Journal |> Map.tryFind name |> Option.defaultValue []
    let first name event = entries name |> List.tryFind (fun e -> e.Event = event)
    let has name event = (first name event).IsSome
    let holder name = parentOf name |> Option.defaultValue "root"
    let killedAt x = entries (holder x) |> List.tryFind (fun e -> e.Event = "kill" && e.Args = [ x ])
    let diedAbruptly x = has x "exit" || (killedAt x).IsSome
    let deathAt x = (first x "exit" |> Option.orElse (killedAt x)).Value.At
    let orphaned x = ancestors x |> List.exists diedAbruptly
    let ended x = has x "return" || has x "fail"
    let relayed x (key: string) = entries x |> List.exists (fun e -> e.Event = "fail" && List.contains key e.Args)
    let external = has "root" "external-cancel"
    let chainOf x = x :: ancestors x

    let actorOf (commandLine: string) =
        let words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)

        match words |> Array.tryFindIndexBack ((=) "--tractor-actor") with
        | Some i when i + 1 < words.Length -> Some words[i + 1]
        | _ -> None

    let outcome, seen =
        match o.Run.Outcome with
        | Ok _ -> "returned", []
        | Error(:? OperationCanceledException) -> "cancelled", []
        | Error e -> "raised", leaves e

    let seenKeys = seen |> List.map _.Key |> Set.ofList

    // Failures that happened (from the journals), and those the model says may reach the root.
    // A kill that came after the node had already finished (its value or error on the way) may
    // or may not show: such a death is only possible, not certain.
    let killedAfterEnd x =
        match killedAt x, entries x |> List.tryFind (fun e -> e.Event = "return" || e.Event = "fail") with
        | Some k, Some e -> e.At < k.At
        | _ -> false

    let events =
        [ for s in all do
              if has s.Name "raise" then Raised(s.Name, [])
              if diedAbruptly s.Name && not (killedAfterEnd s.Name) then Died(s.Name, []) ]

    let origin = function Raised(x, _) | Died(x, _) -> x | _ -> ""
    let escaping = events |> List.filter (fun e -> p.MayFail.Contains(origin e))
    let maybeKeys = all |> List.filter (fun s -> killedAfterEnd s.Name) |> List.map (fun s -> $"D:{s.Name}") |> Set.ofList

    let violations = [
      // 1. Nothing of the tree outlives the root nursery.
      let startingOrphan (a: OurProcesses.OurProcess) =
          match actorOf a.CommandLine with
          | Some x -> not (has x "start") && orphaned x && List.contains a.Pid o.GoneLater
          | None -> false

      let tolerated, alive = o.Alive |> List.partition (fun a -> ToleratedStartingOrphans && startingOrphan a)

      for a in tolerated do
          notes.Add $"known bug 3: starting orphan '{actorOf a.CommandLine}' outlived the root nursery"

      if not alive.IsEmpty then
          let lines = String.Join("; ", alive |> List.map (fun a -> $"pid {a.Pid}: {a.CommandLine}"))
          $"processes alive after the root nursery exited: {lines}"

      // 2. Errors are neither invented nor lost.
      for leaf in seen do
          match leaf with
          | Raised(x, chain) ->
              if not (has x "raise") then $"error {leaf}: '{x}' never raised"
              elif not (p.MayFail.Contains x) then $"error {leaf}: the model says '{x}' cannot reach the root"
              elif chain <> chainOf x then $"error {leaf}: expected source and relay path {chainOf x}"
          | Died(x, chain) ->
              let expected = match parentOf x with Some par -> chainOf par | None -> []
              if not (diedAbruptly x) then $"error {leaf}: '{x}' was not told to die"
              elif not (p.MayFail.Contains x) then $"error {leaf}: the model says '{x}' cannot reach the root"
              elif chain <> expected then $"error {leaf}: expected observer and relay path {expected}"
          | Cancelled chain -> $"a cancellation reported as an error (chain {chain})"
          | Odd d when ToleratedCancelCallbackError && d.StartsWith "TractorNet.Ipc.ChannelClosedException" && d.Contains "cannot send" ->
              notes.Add $"known bug 4: invented error from a cancel callback: {d}"
          | Odd d -> $"invented error: {d}"

      if p.FailureCertain && outcome <> "raised" then
          $"a failure was certain but the root {outcome}"

      if p.MayFail.IsEmpty && outcome = "raised" then
          $"the root raised though no failure could reach it"

      match external, outcome with
      | true, "returned" -> "the root was cancelled by the test (the tree could get stuck) but returned"
      | false, "cancelled" -> "the root raised OperationCanceledException though nobody cancelled it"
      | _ -> ()

      match p.Values, o.Run.Outcome with
      | Some expected, Ok values when values <> expected -> $"the root received {values}, expected {expected}"
      | _ -> ()

      // A failure travels up hop by hop; it may stop only at an actor that was being cancelled
      // from above (its process may be ended by the ladder) or that died.
      for e in escaping do
          let x, key, firstHolder =
              match e with
              | Raised(x, _) -> x, e.Key, Some x
              | Died(x, _) -> x, e.Key, parentOf x
              | _ -> failwith "not an event"

          let excused a = has a "cancel" || diedAbruptly a || orphaned a

          // A death the observer sees while its nursery is already cancelling is part of that
          // cancellation, not an error. When the process really ended (after its "exit" line,
          // during the runtime's shut-down) is not in any journal, so the check is on the cause:
          // the observer's nursery must have had another reason to cancel (other errors, a cancel
          // from above, the test).
          let deathSwallowed =
              match e with
              | Died _ ->
                  let h = holder x

                  let otherErrors =
                      if h = "root" then seen |> List.exists (fun l -> l.Key <> key)
                      else entries h |> List.exists (fun e -> e.Event = "fail" && e.Args |> List.exists ((<>) key))

                  otherErrors || has h "cancel" || (h = "root" && external)
              | _ -> false

          // `sender`: the actor that relayed the failure to `at` (None on the first hop); if it
          // died abruptly after relaying, the message may never have left it.
          let rec walk (at: string option) (sender: string option) =
              let first = sender.IsNone
              let senderDied = sender |> Option.exists diedAbruptly

              match at with
              | None ->
                  if seenKeys.Contains key then
                      None
                  elif first && deathSwallowed then
                      notes.Add $"{key} swallowed: the root was already cancelling"
                      None
                  elif senderDied then
                      notes.Add $"{key} lost with '{sender.Value}', killed after relaying it"
                      None
                  else
                      Some $"{key} reached the top of the tree but the root did not report it"
              | Some a ->
                  if relayed a key then
                      walk (parentOf a) (Some a)
                  elif first && deathSwallowed then
                      notes.Add $"{key} swallowed: '{a}' was already cancelling"
                      None
                  elif excused a then
                      notes.Add $"{key} stopped at cancelled or dead '{a}'"
                      None
                  elif senderDied then
                      notes.Add $"{key} lost with '{sender.Value}', killed after relaying it"
                      None
                  else
                      Some $"{key} stopped at '{a}', which was neither cancelled nor dead (journal: {entries a})"

          match walk firstHolder None with
          | Some v -> v
          | None -> ()

      // One failure is one error, reported once.
      let reported =
          seen
          |> List.map _.Key
          |> List.countBy id
          |> List.collect (fun (key, n) ->
              let daemonDeath = key.StartsWith "D:" && spec[key.Substring 2].Spawn = Daemon
              if n = 2 && daemonDeath && ToleratedDaemonDeathTwice then
                  notes.Add $"known bug 1: daemon death {key} reported twice"
                  [ key ]
              else
                  List.replicate n key)

      for key, n in reported |> List.countBy id do
          if n > 1 then $"the root reported {key} {n} times for one failure: {seen}"

      // Exactly one failure: the root reports it (the hop-by-hop walk above), and nothing else
      // but deaths that may have come with it (a kill after the node had finished).
      match escaping with
      | [ single ] when not external ->
          let others = reported |> List.filter (fun k -> k <> single.Key && not (maybeKeys.Contains k))

          if not others.IsEmpty then
              $"exactly one failure ({single.Key}) happened but the root also reported {others}"
      | _ -> ()

      // 3. When the root nursery cancels, everything still running is told to cancel.
      if o.Run.CancelledAt.IsSome then
          for s in all do
              let x = s.Name
              if has x "start" && not (ended x || has x "cancel" || diedAbruptly x || orphaned x) then
                  $"'{x}' neither finished nor was cancelled (journal: {entries x})"

      // 4. Values returned before any failure are delivered (to a parent that lived to see
      //    them), unless the parent's wait for one was cancelled while it was on its way (the
      //    journal's "return" comes before the value leaves, a context's value even after the
      //    stream's end: the fuzzer saw a failure 6 ms after the return cancel the parent first).
      //    A value lost without a failure leaves the parent waiting: invariant 6 sees that.
      let firstFailureAt =
          [ for s in all do
                for e in [ first s.Name "raise"; first s.Name "exit"; killedAt s.Name ] do
                    match e with
                    | Some e -> e.At
                    | None -> ()
            match first "root" "external-cancel" with
            | Some e -> e.At
            | None -> () ]
          |> List.fold min Int64.MaxValue

      for s in all do
          match first s.Name "return" with
          | Some r ->
              let expected = match s.Behaviour with Return(v, _) | Streams(Count = v) -> string v | _ -> "?"
              if r.Args <> [ expected ] then $"'{s.Name}' returned {r.Args}, its spec says {expected}"
              let par = holder s.Name
              let beforeCancel = match first s.Name "cancel" with Some c -> r.At < c.At | None -> true
              let parentLived = (par = "root" || ended par) && not (diedAbruptly s.Name)
              let cancelledOnItsWay =
                  (has par "ncancel" || has par "cancel")
                  && entries par |> List.exists (fun e -> e.Event = "lost" && e.Args = [ s.Name; "C" ])

              if beforeCancel && r.At < firstFailureAt && parentLived && cancelledOnItsWay then
                  notes.Add $"'{s.Name}' returned before any failure, but '{par}' was cancelled while its value was on its way"

              if beforeCancel && r.At < firstFailureAt && parentLived && not cancelledOnItsWay && not (entries par |> List.exists (fun e -> e.Event = "got" && e.Args = [ s.Name; expected ])) then
                  $"'{s.Name}' returned {expected} but '{par}' never got it"
          | None -> ()

      // 5. Streams deliver a prefix of what was sent, in order, without duplicates; all of it
      //    when the node's value reached its parent (the value comes after the stream's end),
      //    and when the model says nothing could cut it short.
      for s in all do
          match s.Behaviour with
          | Streams(_, count, _, _) ->
              let x = s.Name
              let par = holder x
              let sent = entries x |> List.filter (fun e -> e.Event = "sent") |> List.map (fun e -> e.Args)
              let items = entries par |> List.filter (fun e -> e.Event = "recv" && e.Args.Head = x) |> List.map (fun e -> e.Args[1])
              let whole = [ for i in 1..count -> item x i ]
              let sentItems = sent |> List.map (function [ i ] -> item x (int i) | a -> String.Join(" ", a))
              let isPrefix (p: 'a list) (l: 'a list) = p.Length <= l.Length && List.take p.Length l = p

              if not (isPrefix sentItems whole) then
                  $"'{x}' sent {sentItems}, its spec says {whole}"

              if not (isPrefix items sentItems) then
                  $"'{par}' received {items} from '{x}': not a prefix of what it sent ({sentItems})"

              if items <> whole && entries par |> List.exists (fun e -> e.Event = "got" && e.Args.Head = x) then
                  $"'{par}' got the value of '{x}' but received only {items} of its {count} items"

              if items <> whole && p.FullDelivery.Contains x then
                  $"nothing could cut the stream of '{x}' short, but '{par}' received only {items} of its {count} items"
          | _ -> ()

      // 6. Bounded time, from the ladder's timeouts.
      match o.Run.CancelledAt with
      | Some c ->
          let took = TimeSpan.FromMilliseconds(ms (o.Run.ExitedAt - c))
          let bound = cancelBound o.Ladder slack
          if took > bound then $"the root nursery took {took.TotalMilliseconds:F0} ms to exit after it began cancelling (bound {bound.TotalMilliseconds} ms)"
      | None -> ()

      match escaping |> List.map (function Raised(x, _) -> (first x "raise").Value.At | Died(x, _) -> deathAt x | _ -> 0L) with
      | [] -> ()
      | times ->
          let firstFailure = List.min times
          let levels = all |> List.map (fun s -> depth s.Name) |> List.max
          let linger = all |> List.map (fun s -> match s.Behaviour with Linger l -> l | _ -> 0) |> List.max
          let perLevel = { o.Ladder with Terminate = o.Ladder.Terminate + TimeSpan.FromMilliseconds(float linger) }
          let bound = failureBound perLevel slack levels
          let took = TimeSpan.FromMilliseconds(ms (o.Run.ExitedAt - firstFailure))
          if took > bound then $"the root exited {took.TotalMilliseconds:F0} ms after the first failure (bound {bound.TotalMilliseconds} ms)"
    ]

    violations, List.ofSeq notes

/// Every broken promise in one case's observation (empty: the case passed).
let check (o: Observation) : string list = fst (audit o)

// ---------------------------------------------------------------------------------------------
// The checker itself, on made-up observations: it must catch each kind of broken promise.

module private Made =
    let node name b kids =
        { Name = name
          Spawn = InActor
          Behaviour = b
          Early = false
          KillAfterMs = None
          Children = kids }

    /// Journals from (actor, event, args) lines, one tick apart in the given order.
    let journal (lines: (string * string * string list) list) =
        lines
        |> List.mapi (fun i (a, e, args) -> a, { At = int64 (i + 1); Event = e; Args = args })
        |> List.groupBy fst
        |> List.map (fun (a, es) -> a, List.map snd es)
        |> Map.ofList

    let raised (source: string) (relays: string list) (message: string) =
        let id n = { Name = n; Uid = n + "00000000" }

        RemoteActorError
            { Source = id source
              TypeName = typeof<InvalidOperationException>.FullName
              Message = message
              StackTrace = ""
              RelayPath = relays |> List.map id
              Inner = [] }
        :> exn

    let observe specs outcome lines =
        { Specs = specs
          Prediction = predict specs
          Run = { Outcome = outcome; StartedAt = 0L; CancelledAt = None; ExitedAt = 0L }
          Journal = journal lines
          Alive = []
          Dying = []
          GoneLater = []
          Notes = []
          Ladder = ladder }

    let deepRaise = [ node "n1" (Return(1, 0)) [ node "n11" (Raise 0) [] ] ]

    let deepRaiseLines =
        [ "n1", "start", [ "1" ]
          "n11", "start", [ "2" ]
          "n11", "raise", []
          "n11", "fail", [ "R:n11" ]
          "n1", "ncancel", []
          "n1", "fail", [ "R:n11" ] ]

let private violationsOf o = check o |> String.concat "\n"

let ``the checker accepts a failure relayed correctly`` () =
    let o = Made.observe Made.deepRaise (Error(Made.raised "n11" [ "n1" ] "fail:n11")) Made.deepRaiseLines
    Assert.That(check o, Is.Empty)

let ``the checker catches a lost error`` () =
    let o = Made.observe Made.deepRaise (Ok []) Made.deepRaiseLines
    Assert.That(violationsOf o, Does.Contain "a failure was certain")
    Assert.That(violationsOf o, Does.Contain "R:n11 reached the top of the tree but the root did not report it")

let ``the checker catches an error stopped at an actor nobody cancelled`` () =
    let lines = Made.deepRaiseLines |> List.filter (fun (a, e, _) -> not (a = "n1" && e = "fail")) |> fun l -> l @ [ "n1", "return", [ "1" ] ]
    let o = Made.observe Made.deepRaise (Ok []) lines
    Assert.That(violationsOf o, Does.Contain "R:n11 stopped at 'n1', which was neither cancelled nor dead")

let ``the checker excuses an error stopped at an actor cancelled from above`` () =
    let lines = Made.deepRaiseLines |> List.filter (fun (a, e, _) -> not (a = "n1" && e = "fail")) |> fun l -> l @ [ "n1", "cancel", [] ]
    let tree = Made.deepRaise @ [ Made.node "n2" (Raise 0) [] ]
    let lines = lines @ [ "n2", "start", [ "3" ]; "n2", "raise", []; "n2", "fail", [ "R:n2" ] ]
    let o = Made.observe tree (Error(Made.raised "n2" [] "fail:n2")) lines
    Assert.That(check o, Is.Empty)

let ``the checker catches an invented error and a wrong relay path`` () =
    let o = Made.observe Made.deepRaise (Error(MultiErrorException [ Made.raised "n11" [] "fail:n11"; Made.raised "n1" [] "fail:n1"; Made.raised "n1" [] "boom" ])) Made.deepRaiseLines
    let v = violationsOf o
    Assert.That(v, Does.Contain "expected source and relay path [n11; n1]")
    Assert.That(v, Does.Contain "'n1' never raised")
    Assert.That(v, Does.Contain "invented error")

let ``the checker catches one failure reported twice`` () =
    let twice = MultiErrorException [ Made.raised "n11" [ "n1" ] "fail:n11"; Made.raised "n11" [ "n1" ] "fail:n11" ]
    let o = Made.observe Made.deepRaise (Error twice) Made.deepRaiseLines
    Assert.That(violationsOf o, Does.Contain "the root reported R:n11 2 times for one failure")

let ``the checker catches a process left alive and a value never delivered`` () =
    let tree = [ Made.node "n1" (Return(7, 0)) [ Made.node "n11" (Return(5, 0)) [] ] ]
    let lines = [ "n1", "start", [ "1" ]; "n11", "start", [ "2" ]; "n11", "return", [ "5" ]; "n1", "return", [ "7" ] ]
    let values = [ { Name = "n1"; Value = 7; Children = [ { Name = "n11"; Value = 5; Children = [] } ] } ]
    let o = { Made.observe tree (Ok values) lines with Alive = [ { Pid = 42; CommandLine = "x" } ] }
    let v = violationsOf o
    Assert.That(v, Does.Contain "processes alive after the root nursery exited: pid 42")
    Assert.That(v, Does.Contain "'n11' returned 5 but 'n1' never got it")
    Assert.That(v, Does.Contain "'n1' returned 7 but 'root' never got it")

let ``the checker excuses a value lost to a cancellation, not one returned before any failure and dropped`` () =
    let tree = [ Made.node "n1" (Return(7, 0)) [ Made.node "n11" (Return(5, 0)) [] ]; Made.node "n2" (Raise 0) [] ]

    let observe returnedFirst lost =
        let lines =
            [ "n1", "start", [ "1" ]
              "n11", "start", [ "2" ]
              "n2", "start", [ "3" ]
              if returnedFirst then "n11", "return", [ "5" ]
              "n2", "raise", []
              if not returnedFirst then "n11", "return", [ "5" ]
              "n2", "fail", [ "R:n2" ]
              "n1", "cancel", []
              yield! lost
              "n1", "fail", [ "C" ] ]

        violationsOf (Made.observe tree (Error(Made.raised "n2" [] "fail:n2")) lines)

    Assert.That(observe false [], Does.Not.Contain "never got it")
    Assert.That(observe true [], Does.Contain "'n11' returned 5 but 'n1' never got it")
    Assert.That(observe true [ "n1", "lost", [ "n11"; "C" ] ], Does.Not.Contain "never got it", "cancelled on its way")
    Assert.That(observe true [ "n1", "lost", [ "n11"; "O" ] ], Does.Contain "'n11' returned 5 but 'n1' never got it")

let ``the checker catches a running actor that was never cancelled`` () =
    let tree = [ Made.node "n1" Hang []; Made.node "n2" (Raise 0) [] ]
    let lines = [ "n1", "start", [ "1" ]; "n2", "start", [ "2" ]; "n2", "raise", []; "n2", "fail", [ "R:n2" ]; "root", "ncancel", [] ]
    let o = { Made.observe tree (Error(Made.raised "n2" [] "fail:n2")) lines with Run = { Outcome = Error(Made.raised "n2" [] "fail:n2"); StartedAt = 0L; CancelledAt = Some 0L; ExitedAt = 0L } }
    Assert.That(violationsOf o, Does.Contain "'n1' neither finished nor was cancelled")

let ``the checker catches a stream that lost, reordered, repeated or mixed up items`` () =
    let tree = [ { Made.node "n1" (Streams(ViaContext, 3, 0, Finish)) [] with Spawn = Daemon } ]

    let observe (received: string list) =
        let lines =
            [ "n1", "start", [ "1" ]
              for i in 1..3 do
                  "n1", "sent", [ string i ]
              for x in received do
                  "root", "recv", [ "n1"; x ]
              "n1", "return", [ "3" ]
              "root", "got", [ "n1"; "3" ] ]

        Made.observe tree (Ok [ { Name = "n1"; Value = 3; Children = [] } ]) lines

    Assert.That(check (observe [ "n1:1"; "n1:2"; "n1:3" ]), Is.Empty)

    for bad in [ [ "n1:1"; "n1:3" ]; [ "n1:2"; "n1:1"; "n1:3" ]; [ "n1:1"; "n1:1"; "n1:2"; "n1:3" ]; [ "n2:1"; "n1:2"; "n1:3" ] ] do
        Assert.That(violationsOf (observe bad), Does.Contain "not a prefix of what it sent", $"%A{bad}")

    let short = violationsOf (observe [ "n1:1"; "n1:2" ])
    Assert.That(short, Does.Contain "'root' got the value of 'n1' but received only")
    Assert.That(short, Does.Contain "nothing could cut the stream of 'n1' short")

let ``the model predicts what is certain`` () =
    let p = predict [ Made.node "n1" Block [ Made.node "n11" (Raise 0) [] ]; Made.node "n2" Hang [] ]
    Assert.That(p.MayFail, Is.Empty, "a failure below a blocked actor cannot leave it")
    Assert.That(p.EndsOnItsOwn, Is.False)
    let killed = { Made.node "n2" Hang [] with KillAfterMs = Some 0 }
    let p = predict [ Made.node "n1" Hang [ Made.node "n11" (Exit 0) [] ]; killed ]
    Assert.That(p.MayFail, Is.EqualTo<Set<string>>(set [ "n11"; "n2" ]))
    Assert.That(p.FailureCertain && p.EndsOnItsOwn, Is.True)
    let p = predict [ { Made.node "n1" (Return(1, 0)) [] with KillAfterMs = Some 100 } ]
    Assert.That(p.MayFail, Is.EqualTo<Set<string>>(set [ "n1" ]))
    Assert.That(p.FailureCertain, Is.False, "a returning actor may finish before its kill")
    Assert.That(p.EndsOnItsOwn, Is.True)
    let p = predict [ { Made.node "n1" (Return(1, 0)) [] with KillAfterMs = Some 100 }; Made.node "n2" Hang [] ]
    Assert.That(p.EndsOnItsOwn, Is.False, "if n1 returns before its kill, n2 waits for ever")
    let p = predict [ Made.node "n1" (Return(3, 0)) [ Made.node "n11" (Return(4, 0)) [] ] ]
    Assert.That(p.Values, Is.EqualTo(Some [ { Name = "n1"; Value = 3; Children = [ { Name = "n11"; Value = 4; Children = [] } ] } ]))
    let streams after = { Made.node "n2" (Streams(OneWay, 3, 0, after)) [] with Spawn = Daemon }
    let p = predict [ Made.node "n1" (Return(3, 0)) []; streams Finish ]
    Assert.That(p.FullDelivery, Is.EqualTo<Set<string>>(set [ "n2" ]))
    Assert.That(p.Values, Is.EqualTo(Some [ { Name = "n1"; Value = 3; Children = [] }; { Name = "n2"; Value = 3; Children = [] } ]))
    let p = predict [ Made.node "n1" (Raise 100) []; streams Finish ]
    Assert.That(p.FullDelivery, Is.Empty, "a failure may cancel the stream before its end")
    let p = predict [ streams FailAfter ]
    Assert.That(p.MayFail, Is.EqualTo<Set<string>>(set [ "n2" ]))
    Assert.That(p.FailureCertain, Is.True)
    let p = predict [ streams HangAfter ]
    Assert.That(p.EndsOnItsOwn || not p.FullDelivery.IsEmpty, Is.False, "a hanging stream is cancelled by the test")

/// Processes with a SIGKILL already pending are dead, whatever `ps` still shows.
let dying (pid: int) =
    try
        File.ReadAllLines $"/proc/{pid}/status"
        |> Array.exists (fun l ->
            (l.StartsWith "ShdPnd:" || l.StartsWith "SigPnd:")
            && (Convert.ToUInt64(l.Substring(7).Trim(), 16) &&& (1UL <<< 8)) <> 0UL)
    with _ ->
        true

/// Runs one case against the real runtime and returns what it showed, with its violations.
let runCase (case: Case) : Observation * string list =
    let specs = name case.Top
    let prediction = predict specs
    let dir = Directory.CreateTempSubdirectory "tractor-fuzz-"
    let before = Actor.cancelLadder ()
    let ladder = ladderUnderLoad ()
    Actor.setCancelLadder ladder

    try
        let cancelAfter = if prediction.EndsOnItsOwn then None else Some case.CancelAfterMs
        let running = runRoot dir.FullName specs cancelAfter

        if not (running.Wait caseTimeout) then
            let leftovers = OurProcesses.list ()
            OurProcesses.killAll leftovers
            let o = { Specs = specs; Prediction = prediction; Run = { Outcome = Ok []; StartedAt = 0L; CancelledAt = None; ExitedAt = 0L }; Journal = read dir.FullName; Alive = leftovers; Dying = []; GoneLater = []; Notes = []; Ladder = ladder }
            o, [ $"the case did not finish within {caseTimeout} (hang); journals in {dir.FullName}: {o.Journal}" ]
        else
            let listed = OurProcesses.list ()
            let dead, alive = listed |> List.partition (fun a -> dying a.Pid)
            let gone (a: OurProcesses.OurProcess) = OurProcesses.list () |> List.forall (fun b -> b.Pid <> a.Pid)
            let deadline = Stopwatch.StartNew()

            while not (List.forall gone alive) && deadline.Elapsed < orphanBound do
                Threading.Thread.Sleep 20

            let goneLater = alive |> List.filter gone |> List.map _.Pid
            OurProcesses.killAll (OurProcesses.list ())

            let o =
                { Specs = specs
                  Prediction = prediction
                  Run = running.Result
                  Journal = read dir.FullName
                  Alive = alive
                  Dying = dead |> List.map _.Pid
                  GoneLater = goneLater
                  Notes = []
                  Ladder = ladder }

            match audit o with
            | [], notes ->
                dir.Delete true
                { o with Notes = notes }, []
            | violations, _ ->
                let outcome =
                    match o.Run.Outcome with
                    | Ok v -> $"%A{v}"
                    | Error e -> $"{e.GetType().Name}: {e.Message}"
                o, violations @ [ $"root outcome: {outcome}"; $"journals kept in {dir.FullName}" ]
    finally
        Actor.setCancelLadder before

/// A child that is not ready within ActorSpawnError's timeout (30 s) says the machine
/// is overloaded (seen here under memory pressure from parallel builds), not that the tree broke
/// a promise: such cases are inconclusive.
let private spawnTimedOut (o: Observation) =
    match o.Run.Outcome with
    | Error e ->
        leaves e
        |> List.exists (function
            | Odd d -> d.Contains "ActorSpawnError" && d.Contains "was not ready within"
            | _ -> false)
    | Ok _ -> false

/// The property: every case keeps every promise.
let property (maxNodes: int) (shrinkBudget: int) (progress: TextWriter) =
    let mutable n = 0

    Prop.forAll (caseArb maxNodes shrinkBudget) (fun case ->
        let sw = Stopwatch.StartNew()
        let o, violations = runCase case
        n <- n + 1
        let outcome =
            match o.Run.Outcome with
            | Ok _ -> "returned"
            | Error(:? OperationCanceledException) -> "cancelled"
            | Error e -> "raised " + String.Join(" ", leaves e |> List.map _.Key)

        let verdict = if violations.IsEmpty then "" else " VIOLATED"
        let cancel = match o.Run.CancelledAt with Some c -> $", cancel→exit {ms (o.Run.ExitedAt - c):F0} ms" | None -> ""
        let dying = if o.Dying.IsEmpty then "" else $", dying at exit: {o.Dying}"
        let dying = if o.Alive.IsEmpty then dying else $"{dying}, alive at exit: {o.Alive.Length} (gone within {orphanBound.TotalSeconds} s: {o.GoneLater.Length})"
        progress.WriteLine($"case {n} ({sw.ElapsedMilliseconds} ms{cancel}{dying}{verdict}): {describe o.Specs} => {outcome}")

        for note in o.Notes do
            progress.WriteLine $"    note: {note}"

        if spawnTimedOut o then
            // Not the runtime's doing: the machine was too slow for a child to start.
            progress.WriteLine "    inconclusive (discarded): a child did not start within the connect timeout"
            Prop.discard ()
        else
            violations.IsEmpty |> Prop.label (String.Join("\n", violations)))

/// Reads "seed,gamma" (FsCheck's replay pair: replays a whole run of the same case count) or
/// "seed,gamma,size" (FsCheck's "replay directly at failing step": that one case).
let private parseSeed (text: string) : Replay =
    match text.Trim('(', ')', ' ').Split(',', StringSplitOptions.TrimEntries) with
    | [| s; g |] -> { Rnd = Rnd(UInt64.Parse s, UInt64.Parse g); Size = None }
    | [| s; g; size |] -> { Rnd = Rnd(UInt64.Parse s, UInt64.Parse g); Size = Some(int size) }
    | _ -> failwith $"expected 'seed,gamma' or 'seed,gamma,size', got '{text}'"

let private env (name: string) = Environment.GetEnvironmentVariable name |> Option.ofObj |> Option.filter ((<>) "")

let private run (cases: int) (maxNodes: int) (shrinkBudget: int) (loops: int) (replay: Replay) =
    let cases = if replay.Size.IsSome then 1 else cases
    let seed = $"{replay.Rnd.Seed},{replay.Rnd.Gamma}"
    let load = if loops > 0 then $" beside {loops} busy loops (TRACTOR_FUZZ_LOAD={loops})" else ""

    System.Console.Out.WriteLine(
        $"failure-tree fuzz: {cases} cases of up to {maxNodes} actors{load}; replay this run with TRACTOR_FUZZ_SEED=\"{seed}\" and the same case count"
    )

    use _ = CpuLoad.start loops

    let config =
        Config.QuickThrowOnFailure
            .WithMaxTest(cases)
            .WithEndSize(maxNodes)
            .WithReplay(Some replay)

    Check.One(config, property maxNodes shrinkBudget System.Console.Out)

/// Seeds the quick tier rotates through, one a day: each run is reproducible, and over days the
/// suite sees different trees.
let quickSeeds =
    [| 0x5EED0001UL, 0x9E3779B97F4A7C15UL
       0x5EED0002UL, 0xBF58476D1CE4E5B9UL
       0x5EED0003UL, 0x94D049BB133111EBUL
       0x5EED0004UL, 0x2545F4914F6CDD1DUL
       0x5EED0005UL, 0xD6E8FEB86659FD93UL
       0x5EED0006UL, 0xA0761D6478BD642FUL
       0x5EED0007UL, 0xE7037ED1A0B428DBUL |]

/// The quick tier's replay: TRACTOR_FUZZ_SEED, else today's seed (`shift` picks another one).
let private quickReplay (shift: int) =
    match env "TRACTOR_FUZZ_SEED" with
    | Some s -> parseSeed s
    | None ->
        let seed, gamma = quickSeeds[(DateTime.UtcNow.DayOfYear + shift) % quickSeeds.Length]
        { Rnd = Rnd(seed, gamma); Size = None }

let ``random failure trees keep the runtime's promises (quick tier)`` () =
    run 30 5 20 (CpuLoad.fromEnvironment ()) (quickReplay 0)

/// Busy loops per core in the loaded quick tier (TRACTOR_FUZZ_LOAD overrides the total).
let private loopsPerCore = 3

let ``random failure trees keep the runtime's promises with the cores starved (quick tier)`` () =
    let loops =
        match CpuLoad.fromEnvironment () with
        | 0 -> loopsPerCore * Environment.ProcessorCount
        | n -> n

    run 8 4 10 loops (quickReplay 3)

/// The long tier: hundreds of random cases (`dotnet fsi build.fsx -t Fuzz`). Skipped unless
/// TRACTOR_FUZZ_LONG is set (to the number of cases); TRACTOR_FUZZ_LOAD adds CPU starvation.
let ``random failure trees keep the runtime's promises (long tier)`` () =
    match env "TRACTOR_FUZZ_LONG" with
    | None -> Assert.Ignore "long tier: set TRACTOR_FUZZ_LONG=<cases> (dotnet fsi build.fsx -t Fuzz)"
    | Some cases ->
        let rnd =
            match env "TRACTOR_FUZZ_SEED" with
            | Some s -> parseSeed s
            | None -> { Rnd = Rnd(uint64 (Random.Shared.NextInt64()), uint64 (Random.Shared.NextInt64()) ||| 1UL); Size = None }

        let maxNodes = env "TRACTOR_FUZZ_NODES" |> Option.map int |> Option.defaultValue 8
        run (int cases) maxNodes 200 (CpuLoad.fromEnvironment ()) rnd

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "FailureTreeProperties" [
        Register.test "the checker accepts a failure relayed correctly" ``the checker accepts a failure relayed correctly``
        Register.test "the checker catches a lost error" ``the checker catches a lost error``
        Register.test "the checker catches an error stopped at an actor nobody cancelled" ``the checker catches an error stopped at an actor nobody cancelled``
        Register.test "the checker excuses an error stopped at an actor cancelled from above" ``the checker excuses an error stopped at an actor cancelled from above``
        Register.test "the checker catches an invented error and a wrong relay path" ``the checker catches an invented error and a wrong relay path``
        Register.test "the checker catches one failure reported twice" ``the checker catches one failure reported twice``
        Register.test "the checker catches a process left alive and a value never delivered" ``the checker catches a process left alive and a value never delivered``
        Register.test "the checker excuses a value lost to a cancellation, not one returned before any failure and dropped" ``the checker excuses a value lost to a cancellation, not one returned before any failure and dropped``
        Register.test "the checker catches a running actor that was never cancelled" ``the checker catches a running actor that was never cancelled``
        Register.test "the checker catches a stream that lost, reordered, repeated or mixed up items" ``the checker catches a stream that lost, reordered, repeated or mixed up items``
        Register.test "the model predicts what is certain" ``the model predicts what is certain``
        Register.test "random failure trees keep the runtime's promises (quick tier)" ``random failure trees keep the runtime's promises (quick tier)``
        Register.test "random failure trees keep the runtime's promises with the cores starved (quick tier)" ``random failure trees keep the runtime's promises with the cores starved (quick tier)``
        yield! Register.category "Fuzz" [ Register.test "random failure trees keep the runtime's promises (long tier)" ``random failure trees keep the runtime's promises (long tier)`` ]
    ]
