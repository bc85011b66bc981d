/// codec.roundtrip: encode + decode of a small 3-field F# record through the typed codec,
/// against the same round trip hand-written on MsgPackWriter/MsgPackReader in the same run.
module TractorNet.Bench.CodecBench

open System
open System.Buffers
open System.Diagnostics
open System.Threading.Tasks
open TractorNet.Wire

type Small = { Id: int; Name: string; Score: float }

let private value = { Id = 42; Name = "worker-7"; Score = 0.75 }

/// The generic path: the codec built by the resolver.
let private viaCodec (codec: MsgPackCodec<Small>) (buffer: ArrayBufferWriter<byte>) =
    buffer.ResetWrittenCount()
    let mutable w = MsgPackWriter(buffer)
    codec.Write(&w, value)
    w.Flush()
    let mutable r = MsgPackReader(buffer.WrittenMemory)
    codec.Read(&r)

/// The baseline: the same bytes written and read by hand.
let private byHand (buffer: ArrayBufferWriter<byte>) =
    buffer.ResetWrittenCount()
    let mutable w = MsgPackWriter(buffer)
    w.WriteArrayHeader 3
    w.WriteInt32 value.Id
    w.WriteString value.Name
    w.WriteDouble value.Score
    w.Flush()
    let mutable r = MsgPackReader(buffer.WrittenMemory)
    if r.ReadArrayHeader() <> 3 then failwith "bad header"
    let id = r.ReadInt32()
    let name = r.ReadString()
    let score = r.ReadDouble()
    { Id = id; Name = name; Score = score }

/// ns/op of one round of `ops` operations.
let private round (ops: int) (op: unit -> Small) =
    let sw = Stopwatch.StartNew()
    for _ in 1..ops do
        op () |> ignore
    sw.Elapsed.TotalNanoseconds / float ops

/// Bytes allocated per op.
let private allocation (ops: int) (op: unit -> Small) =
    let before = GC.GetAllocatedBytesForCurrentThread()
    for _ in 1..ops do
        op () |> ignore
    float (GC.GetAllocatedBytesForCurrentThread() - before) / float ops

let run (quick: bool) : Task<unit> =
    task {
        let codec = MsgPackCodecResolver.Default.GetCodec<Small>()
        let buffer = ArrayBufferWriter<byte>(256)
        let hand () = byHand buffer
        let generic () = viaCodec codec buffer
        if generic () <> value || hand () <> value then failwith "round trip mismatch"
        let rounds, ops = if quick then 5, 20_000 else 101, 20_000
        // Warm up (tiered JIT, PGO), then interleave rounds, alternating which goes first, so
        // both see the same machine conditions. The machine is shared with other builds, which
        // only ever add time: the fastest round is the least noisy estimate of the cost.
        for _ in 1..3 do
            round ops hand |> ignore
            round ops generic |> ignore
        let handTimes = ResizeArray()
        let codecTimes = ResizeArray()
        for i in 1..rounds do
            if i % 2 = 0 then
                handTimes.Add(round ops hand)
                codecTimes.Add(round ops generic)
            else
                codecTimes.Add(round ops generic)
                handTimes.Add(round ops hand)
        Report.emit { Bench = "codec.roundtrip"; Value = Seq.min codecTimes; Unit = "ns/op"; Baseline = Some(Seq.min handTimes) }
        Report.emit
            { Bench = "codec.roundtrip.alloc"
              Value = allocation ops generic
              Unit = "bytes/op"
              Baseline = Some(allocation ops hand) }
    }
