/// Finds the processes a test run started, wherever they were re-parented to.
module TractorNet.Testing.OurProcesses

open System
open System.IO

/// The environment variable every process of this test run inherits. Processes keep their
/// environment when their parent dies, so an orphan re-parented to init is still found.
[<Literal>]
let MarkerVariable = "TRACTOR_TEST_RUN"

let private marker =
    lazy
        (match Environment.GetEnvironmentVariable MarkerVariable with
         | null
         | "" ->
             let id = Guid.NewGuid().ToString("N")
             Environment.SetEnvironmentVariable(MarkerVariable, id)
             id
         | id -> id)

/// Makes sure this process carries the marker, so every process started from now on inherits it.
let ensureMarked () = marker.Force() |> ignore

let private readEnviron (pid: int) =
    try
        File.ReadAllBytes $"/proc/{pid}/environ"
    with _ ->
        [||]

let private commandLine (pid: int) =
    try
        (File.ReadAllText $"/proc/{pid}/cmdline").Replace('\000', ' ').Trim()
    with _ ->
        ""

/// The state letter and parent pid from /proc/<pid>/stat ('Z' = exited, not yet reaped).
let private stateAndParent (pid: int) =
    try
        let stat = File.ReadAllText $"/proc/{pid}/stat"
        // pid (comm) S ppid ...: comm may hold spaces, so split after the last ')'.
        let rest = stat.Substring(stat.LastIndexOf ')' + 2).Split ' '
        rest[0], int rest[1]
    with _ ->
        "?", 0

/// A live process of this test run other than the current one.
type OurProcess = { Pid: int; CommandLine: string }

/// Every live process (not the current one) whose environment carries this run's marker.
let list () : OurProcess list =
    let needle = Text.Encoding.UTF8.GetBytes($"{MarkerVariable}={marker.Force()}\000")
    let self = Environment.ProcessId

    Directory.EnumerateDirectories "/proc"
    |> Seq.choose (fun dir ->
        match Int32.TryParse(Path.GetFileName dir) with
        | true, pid when pid <> self -> Some pid
        | _ -> None)
    |> Seq.filter (fun pid -> (readEnviron pid).AsSpan().IndexOf(needle.AsSpan()) >= 0)
    // A zombie has exited; only its parent can reap it. Ours (children of this process) count,
    // an orphan's zombie waiting for init does not.
    |> Seq.filter (fun pid ->
        match stateAndParent pid with
        | "Z", parent -> parent = self
        | _ -> true)
    |> Seq.map (fun pid -> { Pid = pid; CommandLine = commandLine pid })
    |> Seq.toList

/// SIGKILLs the given processes and waits (bounded) until they are gone (cleanup after a
/// failed check; never a substitute for reaping).
let killAll (processes: OurProcess list) =
    for p in processes do
        try
            use proc = Diagnostics.Process.GetProcessById p.Pid
            proc.Kill true
        with _ ->
            ()

    let deadline = DateTime.UtcNow.AddSeconds 5.0
    let alive (pid: int) = Directory.Exists $"/proc/{pid}" && fst (stateAndParent pid) <> "Z"

    while processes |> List.exists (fun p -> alive p.Pid) && DateTime.UtcNow < deadline do
        Threading.Thread.Sleep 10
