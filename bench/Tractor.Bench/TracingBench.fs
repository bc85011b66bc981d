/// Tracing benchmark: portal round trips with an ActivityListener on the runtime's source in the caller (spans on
/// both sides, the trace context in every Start), beside the same calls with nobody listening, interleaved on one
/// daemon: the ratio is what tracing costs a call, and the baseline is the untraced path the zero-cost promise is
/// about.
module TractorNet.Bench.TracingBench

open System.Diagnostics
open System.Threading.Tasks
open TractorNet
open TractorNet.Bench.Report

/// 100 checked calls of ActorBench.inc on `d`.
let private calls (d: Portal) : ChannelBench.Batch =
    fun () ->
        task {
            for i in 1..100 do
                let! v = d.Run(fun () -> ActorBench.inc i)
                if v <> i + 1 then failwith $"inc {i} returned {v}"

            return 100L
        }

/// The same calls while a listener samples every span of ours (it is added and removed around each batch).
let private tracedCalls (d: Portal) : ChannelBench.Batch =
    let batch = calls d

    fun () ->
        task {
            use _ =
                let l =
                    new ActivityListener(
                        ShouldListenTo = (fun s -> s.Name = Tracing.SourceName),
                        Sample = (fun _ -> ActivitySamplingResult.AllDataAndRecorded)
                    )

                ActivitySource.AddActivityListener l
                l

            return! batch ()
        }

let private portalCallTraced quick =
    task {
        let! traced, plain =
            nursery {
                let! d = startActor ("traced_echo", [ "TractorNet.Bench.ActorBench" ])
                let a = tracedCalls d
                let b = calls d
                do! StreamBench.warmUp quick a b
                let! rates = ChannelBench.interleave quick a b
                let! _ = d.CancelActor()
                return rates
            }

        emit { Bench = "portal.call.traced"; Value = traced; Unit = "round trips/s"; Baseline = Some plain }
    }

/// The tracing scenarios as (name, run) pairs.
let all: (string * (bool -> Task<unit>)) list = [ "portal.call.traced", portalCallTraced ]
