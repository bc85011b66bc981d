/// A worker service in the Generic Host whose background work runs in child actors (no tractor original: the .NET
/// door). `services.AddTractor` runs the root actor as a hosted service: it starts two workers, each counting primes
/// in its own process, logs their results through the host's ILogger, and returns, which stops the application.
/// Stopping the host early (Ctrl-C) would cancel the tree and wait until every actor is reaped.
module TractorNet.Examples.HostedService

open System
open System.Threading.Tasks
open Microsoft.Extensions.DependencyInjection
open Microsoft.Extensions.Hosting
open Microsoft.Extensions.Logging
open TractorNet
open TractorNet.Hosting

/// A worker's job: how many primes lie in [from, to).
let countPrimes (from: int) (until: int) () : Task<int> =
    let isPrime n =
        n >= 2 && Seq.forall (fun d -> n % d <> 0) (Seq.takeWhile (fun d -> d * d <= n) (Seq.initInfinite ((+) 2)))

    Task.FromResult(Seq.filter isPrime (seq { from .. until - 1 }) |> Seq.length)

let example =
    { Name = "hosted-service"
      Summary = "A Generic Host worker service whose background work runs in child actors (services.AddTractor)."
      Run =
        fun _ ->
            task {
                let mutable total = 0
                let builder = Host.CreateApplicationBuilder()
                builder.Logging.SetMinimumLevel Microsoft.Extensions.Logging.LogLevel.Warning |> ignore

                builder.Services.AddTractor(fun n services ->
                    task {
                        let log = services.GetRequiredService<ILoggerFactory>().CreateLogger "HostedService"
                        // The C# nursery's RunInActor takes method groups; from F#, the F# nursery does the same job.
                        let! counts =
                            nursery {
                                let! low = runInActor ("worker_low", countPrimes 0 50_000)
                                let! high = runInActor ("worker_high", countPrimes 50_000 100_000)
                                let! a = low.Result()
                                let! b = high.Result()
                                return [| a; b |]
                            }

                        total <- Array.sum counts
                        log.LogWarning("the workers counted {Low} and {High} primes", counts[0], counts[1])
                    }
                    :> Task)
                |> ignore

                do! builder.Build().RunAsync() // returns when the root's body is done
                if total <> 9592 then failwith $"expected 9592 primes below 100000, got {total}"
                printfn $"primes below 100000: {total}"
            } }
