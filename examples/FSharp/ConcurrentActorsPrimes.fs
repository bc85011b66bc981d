/// tractor's `concurrent_actors_primes.py`, its re-implementation of the std-lib's
/// `ProcessPoolExecutor` primes example: a pool of one worker actor per core. Each worker holds
/// a context with the root; the root deals the numbers out over the workers' streams and the
/// verdicts stream back as they are found, then are checked against a local computation.
module TractorNet.Examples.ConcurrentActorsPrimes

open System
open System.Threading.Channels
open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.ConcurrentActorsPrimes"

let private primes =
    [ 112272535095293L
      112582705942171L
      112272535095293L
      115280095190773L
      115797848077099L
      1099726899285419L ]

/// Trial division: deliberately CPU-bound.
let isPrime (n: int64) =
    if n < 2L then false
    elif n % 2L = 0L then n = 2L
    else
        let limit = int64 (floor (sqrt (float n)))
        let mutable d = 3L
        while d <= limit && n % d <> 0L do
            d <- d + 2L
        d > limit

/// A worker: checks each number it receives and streams back (number, verdict) until the pool
/// stops sending; returns how many it checked.
let worker (ctx: Context<int>) : Task<int> =
    task {
        do! ctx.Started Environment.ProcessId
        use stream = ctx.OpenStream<int64 * bool, int64>()
        let mutable count = 0

        for n in stream do
            do! stream.Send((n, isPrime n))
            count <- count + 1

        return count
    }

// Tasks print concurrently: Console.WriteLine writes a whole line at once (printfn may not).

/// Deals `numbers` round-robin to the workers and forwards their verdicts to `results`.
let private deal (workers: Portal[]) (numbers: int64 list) (results: ChannelWriter<int64 * bool>) (n: TaskNursery) =
    for i, portal in Array.indexed workers do
        let share = numbers |> List.indexed |> List.filter (fun (j, _) -> j % workers.Length = i) |> List.map snd

        n.StartSoon(fun ct ->
            task {
                let! ctx, pid = portal.OpenContext worker
                use _ = ctx
                use stream = ctx.OpenStream<int64, int64 * bool>()
                for x in share do do! stream.Send x
                do! stream.Stop() // no more work: the worker's loop ends after these
                for verdict in stream do do! results.WriteAsync(verdict, ct)
                let! count = ctx.Result()
                Console.WriteLine $"  {portal.Name} (pid {pid}) checked {count} numbers"
            })

let private checkAll (workers: Portal[]) =
    TaskNursery.run (fun n ->
        task {
            let results = Channel.CreateUnbounded<int64 * bool>()
            deal workers primes results.Writer n

            // deliver results as they arrive
            for _ in primes do
                let! number, verdict = results.Reader.ReadAsync n.Token
                Console.WriteLine $"{number} is prime: {verdict}"
                if verdict <> isPrime number then failwith $"wrong verdict for {number}"
        })

let example =
    { Name = "concurrent-actors-primes"
      Summary = "A worker pool, one actor per core: primality verdicts streamed back."
      Run =
        fun _ ->
            nursery {
                let! n = currentNursery
                let spawn i = startActor ($"worker_{i}", [ thisModule ]) n
                let! (workers: Portal[]) = Task.WhenAll [ for i in 1 .. Environment.ProcessorCount -> spawn i ]
                printfn $"{workers.Length} workers, one per core"
                do! checkAll workers
                // the pool's daemons serve until cancelled
                let! _ = Task.WhenAll [ for w in workers -> w.CancelActor() ]
                return ()
            } }
