namespace TractorNet.Spawning

open System
open System.Collections.Concurrent
open System.Threading
open System.Threading.Tasks

/// Starts every child process from one long-lived thread. Linux delivers PR_SET_PDEATHSIG when
/// the *thread* that forked the child exits, so forking from a pool thread that later retires
/// would kill healthy children.
type internal SpawnerThread private () =
    let work = new BlockingCollection<unit -> unit>()

    let thread =
        Thread(
            (fun () ->
                for job in work.GetConsumingEnumerable() do
                    job ()),
            IsBackground = true,
            Name = "tractor-spawner"
        )

    do thread.Start()

    static let instance = lazy (SpawnerThread())

    /// The process-wide spawner.
    static member Instance = instance.Value

    /// Runs `f` on the spawner thread.
    member _.Run(f: unit -> 'T) : Task<'T> =
        let done' = TaskCompletionSource<'T>(TaskCreationOptions.RunContinuationsAsynchronously)

        work.Add(fun () ->
            try
                done'.SetResult(f ())
            with e ->
                done'.SetException e)

        done'.Task
