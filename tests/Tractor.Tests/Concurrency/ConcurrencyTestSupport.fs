/// Helpers of the in-process concurrency tests: bounded waits, a task that hangs until
/// cancelled, and a throw the JIT cannot inline away.
module TractorNet.Tests.ConcurrencyTestSupport

open System
open System.Runtime.CompilerServices
open System.Threading
open System.Threading.Tasks

/// Generous bound on every wait: catches hangs, never used as synchronisation.
let within = TimeSpan.FromSeconds 10.0

/// The task's value, waiting at most `within`.
let await (t: Task<'T>) = t.WaitAsync(within).GetAwaiter().GetResult()

/// The exception a task ends with (null if it succeeds).
let raisedBy (t: Task) : exn =
    try
        t.WaitAsync(within).GetAwaiter().GetResult()
        null
    with e ->
        e

/// Waits until `ct` is cancelled.
let hang (ct: CancellationToken) = Task.Delay(Timeout.Infinite, ct)

[<MethodImpl(MethodImplOptions.NoInlining)>]
let throwBoom () : unit = raise (InvalidOperationException "boom")
