/// Many calls on one daemon, as a service's hot loop makes them (no tractor example: tractor's
/// `portal.run` has no prepared form). `Remote.Function` describes the function once; each call
/// then costs one message each way. `portal.Run(fun () -> square i)` gives the same answers, but
/// F# rebuilds that quotation on every call.
module TractorNet.Examples.HotCalls

open System.Threading.Tasks
open TractorNet

let private thisModule = "TractorNet.Examples.HotCalls"

/// What the daemon computes.
let square (x: int) : Task<int64> = Task.FromResult(int64 x * int64 x)

/// Adds two numbers (a function of two parameters).
let add (a: int64) (b: int64) : Task<int64> = Task.FromResult(a + b)

let example =
    { Name = "hot-calls"
      Summary = "10,000 calls of a function prepared once (Remote.Function), one after another and 100 at a time."
      Run =
        fun _ ->
            task {
                let squareRemote = Remote.Function square
                let addRemote = Remote.Function add

                do!
                    nursery {
                        let! squarer = startActor ("squarer", [ thisModule ])
                        let clock = System.Diagnostics.Stopwatch.StartNew()
                        let mutable sum = 0L

                        for i in 1..5_000 do
                            let! s = squarer.Run(squareRemote, i)
                            let! total = squarer.Run(addRemote, sum, s)
                            sum <- total

                        // The same function, 100 calls in flight at a time.
                        let! squares = Task.WhenAll [ for i in 1..100 -> squarer.Run(squareRemote, i) ]
                        let expected = Seq.sum [ for i in 1L..5_000L -> i * i ]

                        if sum <> expected || Array.sum squares <> 338_350L then
                            failwith $"wrong sums: {sum} (expected {expected}), {Array.sum squares}"

                        printfn $"10,100 calls in {clock.ElapsedMilliseconds} ms; sum of squares 1..5000 = {sum}"
                        let! _ = squarer.CancelActor()
                        ()
                    }
            } }
