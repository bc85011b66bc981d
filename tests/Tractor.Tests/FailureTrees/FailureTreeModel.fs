/// Random actor trees for fuzzing failures (the generator and its shrinker), what a tree's run
/// must show (a small pure model), and how to read the errors a run raised.
module TractorNet.Tests.FailureTreeModel

open System
open System.Text.RegularExpressions
open FsCheck
open FsCheck.FSharp
open TractorNet
open TractorNet.Runtime

/// How a node's actor is started by its parent.
type Spawn =
    /// `runInActor`: the node is the actor's one function.
    | InActor
    /// `startActor` then `portal.Run` of the node, then `CancelActor` once it returned.
    | Daemon

/// How a streaming node's items travel to its parent (the node is always a daemon: the parent
/// calls into its actor).
type Via =
    /// A context (`portal.OpenContext`): the node calls `Started`, opens the context's stream and
    /// sends; its value is the context's result.
    | ViaContext
    /// A one-way stream (`portal.OpenStreamFrom`): the node is a `taskSeq` generator; its value is
    /// the number of items its parent received. Leaves only (a generator holds no nursery).
    | OneWay

/// What a streaming node does once its items are sent.
type AfterStream =
    /// Ends: the node's value is its item count.
    | Finish
    /// Raises `fail:<name>`, the stream still open.
    | FailAfter
    /// Waits until cancelled, the stream still open.
    | HangAfter

/// What a node does once its children (if any) are up. Delays are in milliseconds.
type Behaviour =
    /// Returns a value after a cancellable delay.
    | Return of Value: int * DelayMs: int
    /// Raises `InvalidOperationException "fail:<name>"` after a cancellable delay.
    | Raise of DelayMs: int
    /// Waits until cancelled.
    | Hang
    /// Waits until cancelled, then ignores the cancellation for a while before ending.
    | Linger of Ms: int
    /// Blocks its thread for ever, deaf to cancellation: only the cancel ladder's signals end it.
    | Block
    /// Exits its process abruptly (`Environment.Exit 3`) after a cancellable delay.
    | Exit of DelayMs: int
    /// Streams `<name>:1`..`<name>:Count` to its parent (a cancellable delay before each), then
    /// does `Then`. The parent journals every item it receives (invariant 5: a prefix of what was
    /// sent, in order, without duplicates; all of it when the node's value arrives).
    | Streams of Via: Via * Count: int * DelayMs: int * Then: AfterStream

/// A generated tree node, before it gets a name. `Early`: a node with children starts its own
/// behaviour while its children are still being spawned (so a failure cancels spawns in flight);
/// otherwise once they are all up. `KillAfterMs`: its parent SIGKILLs its process this long after
/// starting it, whatever it is doing then, unless it has finished.
type Shape =
    { Spawn: Spawn
      Behaviour: Behaviour
      Early: bool
      KillAfterMs: int option
      Children: Shape list }

/// One fuzz case: the root's children (the test process is the root), and when the test cancels
/// the root nursery if the tree cannot end on its own.
type Case = { Top: Shape list; CancelAfterMs: int }

/// A named node, as sent to the child that runs it. Names are paths: the root's children are
/// `n1`..`n4`, the children of `n2` are `n21`.., so a name tells its ancestors.
type NodeSpec =
    { Name: string
      Spawn: Spawn
      Behaviour: Behaviour
      Early: bool
      KillAfterMs: int option
      Children: NodeSpec list }

/// What a node that returned delivers: its value and its children's.
type NodeResult = { Name: string; Value: int; Children: NodeResult list }

/// Names a case's tree.
let name (top: Shape list) : NodeSpec list =
    let rec go prefix (i: int) (s: Shape) : NodeSpec =
        let n = $"{prefix}{i + 1}"
        { Name = n
          Spawn = s.Spawn
          Behaviour = s.Behaviour
          Early = s.Early
          KillAfterMs = s.KillAfterMs
          Children = s.Children |> List.mapi (go n) }

    top |> List.mapi (go "n")

/// Every node of the tree, parents before children.
let rec nodes (specs: NodeSpec list) : NodeSpec list = specs |> List.collect (fun s -> s :: nodes s.Children)

/// A one-line picture of a tree: `n1 d:raise(400) [n11 hang]` (`d:` marks daemons).
let rec describe (specs: NodeSpec list) : string =
    specs
    |> List.map (fun s ->
        let b =
            match s.Behaviour with
            | Return(v, d) -> $"return({v},{d})"
            | Raise d -> $"raise({d})"
            | Hang -> "hang"
            | Linger ms -> $"linger({ms})"
            | Block -> "block"
            | Exit d -> $"exit({d})"
            | Streams(via, k, d, after) ->
                let via = match via with ViaContext -> "ctx" | OneWay -> "1way"
                let after = match after with Finish -> "return" | FailAfter -> "raise" | HangAfter -> "hang"
                $"stream({via},{k}x{d},{after})"

        let kind = if s.Spawn = Daemon then "d:" else ""
        let b = match s.KillAfterMs with Some k -> $"{b}+kill({k})" | None -> b
        let kids = if s.Children.IsEmpty then "" elif s.Early then $" early[{describe s.Children}]" else $" [{describe s.Children}]"
        $"{s.Name} {kind}{b}{kids}")
    |> String.concat ", "

/// The parent's name, or None for a child of the root.
let parentOf (name: string) = if name.Length > 2 then Some(name.Substring(0, name.Length - 1)) else None

/// The node's ancestors below the root, nearest first.
let ancestors (name: string) = [ for k in name.Length - 1 .. -1 .. 2 -> name.Substring(0, k) ]

/// Depth below the root (the root's children have depth 1).
let depth (name: string) = name.Length - 1

/// Told to fail: raises, exits, or is to be killed.
let private isFailing (s: NodeSpec) =
    s.KillAfterMs.IsSome
    || (match s.Behaviour with
        | Raise _
        | Exit _
        | Streams(Then = FailAfter) -> true
        | _ -> false)

// ---------------------------------------------------------------------------------------------
// The model: what is certain about a tree's run, whatever the timing.

/// What a run of the tree must show.
type Prediction =
    { /// Nodes whose failure may reach the root: told to fail, with no blocked ancestor (a node
      /// blocked in synchronous code never ends its nursery, so failures below it stay there).
      MayFail: Set<string>
      /// Some failure certainly happens, so the root certainly raises (a non-empty subset of MayFail).
      FailureCertain: bool
      /// The tree ends without the test cancelling it: it cannot get stuck (every subtree returns
      /// or fails, and a failure cancels everything).
      EndsOnItsOwn: bool
      /// When every node returns and none is killed: exactly what the root receives.
      Values: NodeResult list option
      /// Streaming nodes whose whole sequence certainly reaches their parent: all of them when
      /// no failure can happen and nothing gets stuck (any failure cancels the whole tree, so
      /// it may cut any stream short; a stuck tree is cancelled by the test).
      FullDelivery: Set<string> }

/// How a subtree, left alone, can end.
type private Fate =
    | Completes
    | Fails
    | Stuck

/// The ways a subtree can end, if nothing outside it cancels it.
let rec private fates (s: NodeSpec) : Set<Fate> =
    let own =
        match s.Behaviour with
        | Return _
        | Streams(Then = Finish) -> Completes
        | Raise _
        | Exit _
        | Streams(Then = FailAfter) -> Fails
        | Hang
        | Linger _
        | Block
        | Streams(Then = HangAfter) -> Stuck

    let kids = s.Children |> List.map fates

    let alone =
        if s.Behaviour = Block then
            set [ Stuck ] // its nursery never ends: its children's failures stay inside
        elif own = Fails then
            set [ Fails ]
        else
            set
                [ if kids |> List.exists (Set.contains Fails) then Fails
                  if own = Completes && kids |> List.forall (Set.contains Completes) then Completes
                  // Stuck: nothing fails (every child can avoid it) and something waits for ever.
                  if kids |> List.forall (fun k -> k.Contains Completes || k.Contains Stuck)
                     && (own = Stuck || kids |> List.exists (Set.contains Stuck)) then
                      Stuck ]

    match s.KillAfterMs with
    | None -> alone
    // The kill comes unless the subtree completed first (a stuck one never does).
    | Some _ -> set [ Fails; if alone.Contains Completes then Completes ]

/// Failures that can leave their subtree: not below a blocked node.
let rec private escaping (specs: NodeSpec list) : string list =
    specs
    |> List.collect (fun s ->
        (if isFailing s then [ s.Name ] else [])
        @ (if s.Behaviour = Block then [] else escaping s.Children))

/// The model: a pure function of the tree.
let predict (specs: NodeSpec list) : Prediction =
    let all = nodes specs
    let mayFail = escaping specs |> Set.ofList
    let returns = function Return _ | Streams(Then = Finish) -> true | _ -> false
    let allReturn = all |> List.forall (fun s -> returns s.Behaviour && s.KillAfterMs.IsNone)
    // The root is a node that returns once its children have.
    let root =
        fates
            { Name = "root"
              Spawn = InActor
              Behaviour = Return(0, 0)
              Early = false
              KillAfterMs = None
              Children = specs }

    let rec value (s: NodeSpec) : NodeResult =
        match s.Behaviour with
        | Return(v, _)
        | Streams(Count = v; Then = Finish) -> { Name = s.Name; Value = v; Children = s.Children |> List.map value }
        | _ -> failwith "only returning nodes have a value"

    let endsOnItsOwn = not (root.Contains Stuck)

    { MayFail = mayFail
      FailureCertain = (root = set [ Fails ])
      EndsOnItsOwn = endsOnItsOwn
      Values = if allReturn then Some(specs |> List.map value) else None
      FullDelivery =
        if mayFail.IsEmpty && endsOnItsOwn then
            all |> List.filter _.Behaviour.IsStreams |> List.map _.Name |> Set.ofList
        else
            Set.empty }

/// How long after the root nursery starts cancelling it may take to exit: its children answer the
/// ladder within Graceful + Terminate (SIGKILL then), their own children die with them
/// (PDEATHSIG). `slack` absorbs a loaded machine's scheduling: this catches hangs, it does not
/// measure speed.
let cancelBound (ladder: CancelLadder) (slack: TimeSpan) = ladder.Graceful + ladder.Terminate + slack

/// How long after a failure deep in the tree the root may take to exit: each level on the way up
/// cancels its other children first (one ladder per level).
let failureBound (ladder: CancelLadder) (slack: TimeSpan) (depth: int) =
    TimeSpan.FromTicks((ladder.Graceful + ladder.Terminate).Ticks * int64 depth) + slack

// ---------------------------------------------------------------------------------------------
// Reading errors: the leaves of what a nursery raised.

/// One error at the bottom of an error tree. Chains name actors, nearest the origin first: for
/// a raise, the raising actor then each actor that relayed it; for a death, the actor that saw
/// it die then its relays. The root itself is never on a chain.
type Leaf =
    /// `InvalidOperationException "fail:<Origin>"`, raised by a node.
    | Raised of Origin: string * Chain: string list
    /// An actor's process ended unasked (TransportClosedError or ActorDiedError naming it).
    | Died of Origin: string * Chain: string list
    /// A cancellation reported as an error.
    | Cancelled of Chain: string list
    /// Anything else: an error no node was told to raise.
    | Odd of Description: string

    /// A short key for journals: "R:n12", "D:n3", "C", "O".
    member l.Key =
        match l with
        | Raised(o, _) -> $"R:{o}"
        | Died(o, _) -> $"D:{o}"
        | Cancelled _ -> "C"
        | Odd _ -> "O"

[<Literal>]
let FailPrefix = "fail:"

let private actorInMessage = Regex("actor '([^'#]+)#", RegexOptions.Compiled)

let private deadActor (message: string) =
    let m = actorInMessage.Match message
    if m.Success then m.Groups[1].Value else "?"

let private cancelTypes =
    set [ typeof<OperationCanceledException>.FullName; typeof<Threading.Tasks.TaskCanceledException>.FullName ]

let private deathTypes = set [ typeof<TransportClosedError>.FullName; typeof<ActorDiedError>.FullName ]

let rec private ofInfo (outer: string list) (info: RemoteErrorInfo) : Leaf list =
    let relays = (info.RelayPath |> List.map _.Name) @ outer

    if not info.Inner.IsEmpty then
        // Inner errors' own relay paths end at the aggregate's source; the aggregate's path goes on.
        info.Inner |> List.collect (ofInfo relays)
    else
        let chain = info.Source.Name :: relays

        if info.TypeName = typeof<InvalidOperationException>.FullName && info.Message.StartsWith FailPrefix then
            [ Raised(info.Message.Substring FailPrefix.Length, chain) ]
        elif deathTypes.Contains info.TypeName then
            [ Died(deadActor info.Message, chain) ]
        elif cancelTypes.Contains info.TypeName then
            [ Cancelled chain ]
        else
            [ Odd $"{info.TypeName} in '{info.Source.Name}' via {relays}: {info.Message}" ]

/// The leaves of an error raised in this process.
let rec leaves (e: exn) : Leaf list =
    match e with
    | :? AggregateException as a -> a.InnerExceptions |> List.ofSeq |> List.collect leaves
    | :? RemoteActorError as r -> ofInfo [] r.Info
    | :? ActorDiedError as d -> [ Died(d.Actor.Name, []) ]
    | :? TransportClosedError as t -> [ Died(deadActor $"actor '{t.Peer}'", []) ]
    | :? OperationCanceledException -> [ Cancelled [] ]
    | :? InvalidOperationException as i when i.Message.StartsWith FailPrefix -> [ Raised(i.Message.Substring FailPrefix.Length, []) ]
    | e -> [ Odd $"{e.GetType().FullName}: {e.Message}" ]

// ---------------------------------------------------------------------------------------------
// The generator and the shrinker.

/// A few slow items, or many at once (to exercise batching and backpressure).
let private streams: Gen<Behaviour> =
    gen {
        let! via = Gen.elements [ ViaContext; OneWay ]
        let! count, delay = Gen.elements [ 1, 0; 3, 0; 3, 50; 5, 150; 200, 0 ]
        let! after = Gen.frequency [ 3, Gen.constant Finish; 1, Gen.constant FailAfter; 1, Gen.constant HangAfter ]
        return Streams(via, count, delay, after)
    }

let private behaviour: Gen<Behaviour> =
    Gen.frequency
        [ 5, Gen.map2 (fun v d -> Return(v, d)) (Gen.choose (0, 999)) (Gen.elements [ 0; 50; 200; 600 ])
          2, Gen.elements [ 0; 100; 400; 900 ] |> Gen.map Raise
          2, Gen.constant Hang
          1, Gen.elements [ 50; 200; 600 ] |> Gen.map Linger
          1, Gen.constant Block
          1, Gen.elements [ 0; 150; 500 ] |> Gen.map Exit
          3, streams ]

/// Fan-out up to 4, depth up to 3 (the root's children have depth 1).
let rec private shape (level: int) : Gen<Shape> =
    gen {
        let! spawn = Gen.frequency [ 3, Gen.constant InActor; 2, Gen.constant Daemon ]
        let! b = behaviour
        let! k = if level >= 3 then Gen.constant 0 else Gen.frequency [ 3, Gen.constant 0; 2, Gen.choose (1, 4) ]
        let! kids = Gen.listOfLength k (shape (level + 1))
        let! early = Gen.frequency [ 3, Gen.constant false; 1, Gen.constant true ]

        // A one-way stream is a generator: it holds no children (a context holds them).
        let b =
            match b with
            | Streams(OneWay, k, d, t) when not kids.IsEmpty -> Streams(ViaContext, k, d, t)
            | b -> b

        let! kill =
            Gen.frequency [ 5, Gen.constant None; 1, Gen.elements [ 0; 100; 300; 600; 1000 ] |> Gen.map Some ]

        return
            { Spawn = (if b.IsStreams then Daemon else spawn) // its parent calls into its actor
              Behaviour = b
              Early = early && not kids.IsEmpty
              KillAfterMs = kill
              Children = kids }
    }

/// Keeps the first `budget` nodes in pre-order (each case spawns at most that many processes).
let prune (budget: int) (top: Shape list) : Shape list =
    let mutable left = budget

    let rec keep (shapes: Shape list) =
        shapes
        |> List.choose (fun s ->
            if left <= 0 then
                None
            else
                left <- left - 1
                let kids = keep s.Children
                Some { s with Children = kids; Early = s.Early && not kids.IsEmpty })

    keep top

/// Cases of at most `maxNodes` actors; FsCheck's size (capped at maxNodes) is the node budget,
/// so cases grow through a run.
let caseGen (maxNodes: int) : Gen<Case> =
    Gen.sized (fun size ->
        gen {
            let budget = max 1 (min maxNodes size)
            let! k = Gen.choose (1, 4)
            let! top = Gen.listOfLength k (shape 1)
            let! cancelAfter = Gen.elements [ 300; 1000; 2000 ]
            return { Top = prune budget top; CancelAfterMs = cancelAfter }
        })

let private removeAt i (xs: 'a list) = xs |> List.indexed |> List.filter (fst >> (<>) i) |> List.map snd
let private replaceAt i x (xs: 'a list) = xs |> List.mapi (fun j y -> if j = i then x else y)

/// Simpler behaviours: no delay, a plain value, a raise instead of a death.
let private simpler (b: Behaviour) : Behaviour list =
    [ if b <> Return(0, 0) then Return(0, 0)
      match b with
      | Return(v, d) when v <> 0 && d <> 0 -> Return(v, 0)
      | Raise d when d > 0 -> Raise 0
      | Exit d -> Raise d
      | Linger _
      | Block -> Hang
      | Streams(via, k, d, t) ->
          if t <> Finish then Streams(via, k, d, Finish)
          if d <> 0 then Streams(via, k, 0, t)
          if k > 1 then Streams(via, 1, d, t)
      | _ -> () ]

let rec private shrinkShape (s: Shape) : Shape seq =
    seq {
        yield! s.Children // hoist a child in place of the subtree

        for i in 0 .. s.Children.Length - 1 do
            let kids = removeAt i s.Children
            yield { s with Children = kids; Early = s.Early && not kids.IsEmpty }

        for b in simpler s.Behaviour do
            yield { s with Behaviour = b }

        if s.Spawn = Daemon && not s.Behaviour.IsStreams then
            yield { s with Spawn = InActor }

        if s.Early then
            yield { s with Early = false }

        match s.KillAfterMs with
        | Some k ->
            yield { s with KillAfterMs = None }
            if k > 0 then yield { s with KillAfterMs = Some 0 }
        | None -> ()

        for i, c in List.indexed s.Children do
            for c' in shrinkShape c do
                yield { s with Children = replaceAt i c' s.Children }
    }

/// Smaller cases: fewer nodes first, then simpler behaviours.
let shrinkCase (c: Case) : Case seq =
    seq {
        if c.Top.Length > 1 then
            for i in 0 .. c.Top.Length - 1 do
                yield { c with Top = removeAt i c.Top }

        for i, t in List.indexed c.Top do
            if not t.Children.IsEmpty then
                // The subtree's children become the root's.
                yield { c with Top = c.Top[.. i - 1] @ t.Children @ c.Top[i + 1 ..] }

            for t' in shrinkShape t do
                yield { c with Top = replaceAt i t' c.Top }
    }

/// The arbitrary for cases; `shrinkBudget` bounds how many shrink candidates a run may try (each
/// costs a real run of processes).
let caseArb (maxNodes: int) (shrinkBudget: int) : Arbitrary<Case> =
    let mutable left = shrinkBudget

    let shrink c =
        shrinkCase c
        |> Seq.takeWhile (fun _ ->
            left <- left - 1
            left >= 0)

    Arb.fromGenShrink (caseGen maxNodes, shrink)
