/// The benchmark's output contract: one JSON object per line,
/// `{"bench": name, "value": x, "unit": u, "baseline": b, "ratio": x/b}`.
module TractorNet.Bench.Report

open System
open System.Diagnostics
open System.Globalization
open System.Text.Json

/// One measured figure. `Baseline` is measured in the same run (never a constant); where a
/// scenario has no baseline it is None and "baseline"/"ratio" are null.
type Figure =
    { Bench: string
      Value: float
      Unit: string
      Baseline: float option }

let private number (x: float) = Math.Round(x, 3)

/// Prints one figure as a JSON line on stdout.
let emit (f: Figure) =
    use stream = new IO.MemoryStream()
    use w = new Utf8JsonWriter(stream)
    w.WriteStartObject()
    w.WriteString("bench", f.Bench)
    w.WriteNumber("value", number f.Value)
    w.WriteString("unit", f.Unit)
    match f.Baseline with
    | Some b ->
        w.WriteNumber("baseline", number b)
        w.WriteNumber("ratio", Math.Round(f.Value / b, 4))
    | None ->
        w.WriteNull "baseline"
        w.WriteNull "ratio"
    w.WriteEndObject()
    w.Flush()
    Console.Out.WriteLine(Text.Encoding.UTF8.GetString(stream.ToArray()))
    Console.Out.Flush()

/// Median of a sample.
let median (xs: float seq) =
    let a = Seq.toArray xs |> Array.sort
    if a.Length = 0 then nan
    elif a.Length % 2 = 1 then a[a.Length / 2]
    else (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2.0

/// Runs `f` repeatedly for at least `duration` and returns operations per second.
let ratePerSecond (duration: TimeSpan) (batch: int) (f: int -> unit) =
    let sw = Stopwatch.StartNew()
    let mutable ops = 0L
    while sw.Elapsed < duration do
        f batch
        ops <- ops + int64 batch
    float ops / sw.Elapsed.TotalSeconds

let invariant (x: float) = x.ToString(CultureInfo.InvariantCulture)
