/// Helpers shared by the MessagePack tests: encode/decode through the raw API, a dynamic value
/// model for spec-level tests, multi-segment inputs, and the python3-msgpack child process.
module TractorNet.Tests.MsgPackTestSupport

open System
open System.Buffers
open System.Diagnostics
open System.IO
open System.Numerics
open System.Text
open NUnit.Framework
open TractorNet.Wire

/// Something that writes to a writer (F# lambdas convert to it: `WriteAction(fun w -> ...)`).
type WriteAction = delegate of byref<MsgPackWriter> -> unit

/// Something that reads from a reader.
type ReadFunc<'T> = delegate of byref<MsgPackReader> -> 'T

/// Runs `f` on a fresh writer over an ArrayBufferWriter and returns the bytes.
let encode (f: WriteAction) =
    let buffer = ArrayBufferWriter<byte>()
    let mutable w = MsgPackWriter(buffer)
    f.Invoke(&w)
    w.Flush()
    buffer.WrittenSpan.ToArray()

let hex (bytes: byte array) = Convert.ToHexString(bytes).ToLowerInvariant()

/// Parses "cc-80" or "cc80".
let unhex (s: string) = Convert.FromHexString(s.Replace("-", ""))

/// A sequence segment for building multi-segment inputs.
type private Segment(memory: ReadOnlyMemory<byte>, index: int64) =
    inherit ReadOnlySequenceSegment<byte>()

    do
        base.Memory <- memory
        base.RunningIndex <- index

    member this.Append(next: ReadOnlyMemory<byte>) =
        let s = Segment(next, index + int64 memory.Length)
        base.Next <- s
        s

/// `bytes` as a ReadOnlySequence of segments of `size` bytes (the last may be shorter).
let segmented (size: int) (bytes: byte array) : ReadOnlySequence<byte> =
    if bytes.Length <= size then
        ReadOnlySequence<byte>(bytes)
    else
        let first = Segment(ReadOnlyMemory(bytes, 0, size), 0L)
        let mutable last = first
        let mutable offset = size
        while offset < bytes.Length do
            let n = min size (bytes.Length - offset)
            last <- last.Append(ReadOnlyMemory(bytes, offset, n))
            offset <- offset + n
        ReadOnlySequence<byte>(first, 0, last, last.Memory.Length)

/// An IBufferWriter handing out spans of at most `size` bytes (but at least what is asked), to
/// exercise the writer's block handling.
type StingyBufferWriter(size: int) =
    let written = ResizeArray<byte>()
    let mutable current: byte array = [||]

    member _.Written = written.ToArray()

    interface IBufferWriter<byte> with
        member _.Advance(count) = written.AddRange(ArraySegment(current, 0, count))

        member _.GetMemory(hint) =
            current <- Array.zeroCreate (max size hint)
            Memory current

        member _.GetSpan(hint) =
            current <- Array.zeroCreate (max size hint)
            Span current

/// A MessagePack value as the specification sees it.
[<CustomEquality; NoComparison>]
type MsgValue =
    | Nil
    | Bool of bool
    | Int of int64
    /// Only for integers above Int64.MaxValue.
    | UInt of uint64
    | Float32 of float32
    | Float64 of float
    | Str of string
    | Bin of byte array
    | Arr of MsgValue list
    | Map of (MsgValue * MsgValue) list
    | Ext of sbyte * byte array
    | Timestamp of int64 * uint32

    override this.Equals(o) =
        match o with
        | :? MsgValue as v -> MsgValue.Canon this = MsgValue.Canon v
        | _ -> false

    override this.GetHashCode() = (MsgValue.Canon this).GetHashCode()

    /// A canonical text form, identical to what `canon` computes in the python helper.
    static member Canon(v: MsgValue) : string =
        let sb = StringBuilder()

        let rec go v =
            match v with
            | Nil -> sb.Append "nil" |> ignore
            | Bool b -> sb.Append(if b then "true" else "false") |> ignore
            | Int i -> sb.Append($"int:{i}") |> ignore
            | UInt u -> sb.Append($"int:{u}") |> ignore
            | Float32 f -> sb.Append("float:" + hex (BitConverter.GetBytes(float f) |> Array.rev)) |> ignore
            | Float64 f -> sb.Append("float:" + hex (BitConverter.GetBytes f |> Array.rev)) |> ignore
            | Str s -> sb.Append("str:" + hex (Encoding.UTF8.GetBytes s)) |> ignore
            | Bin b -> sb.Append("bin:" + hex b) |> ignore
            | Arr xs ->
                sb.Append '[' |> ignore
                xs |> List.iteri (fun i x -> (if i > 0 then sb.Append ',' |> ignore); go x)
                sb.Append ']' |> ignore
            | Map kvs ->
                sb.Append '{' |> ignore
                kvs
                |> List.iteri (fun i (k, x) ->
                    (if i > 0 then sb.Append ',' |> ignore)
                    go k
                    sb.Append ':' |> ignore
                    go x)
                sb.Append '}' |> ignore
            | Ext(t, d) -> sb.Append($"ext:{t}:" + hex d) |> ignore
            | Timestamp(s, n) -> sb.Append($"ts:{s}:{n}") |> ignore

        go v
        sb.ToString()

    override this.ToString() = MsgValue.Canon this

/// Writes a dynamic value with the raw writer.
let rec writeValue (w: byref<MsgPackWriter>) (v: MsgValue) =
    match v with
    | Nil -> w.WriteNil()
    | Bool b -> w.WriteBoolean b
    | Int i -> w.WriteInt64 i
    | UInt u -> w.WriteUInt64 u
    | Float32 f -> w.WriteSingle f
    | Float64 f -> w.WriteDouble f
    | Str s -> w.WriteString s
    | Bin b -> w.WriteBinary(ReadOnlySpan b)
    | Arr xs ->
        w.WriteArrayHeader xs.Length
        for x in xs do
            writeValue &w x
    | Map kvs ->
        w.WriteMapHeader kvs.Length
        for (k, x) in kvs do
            writeValue &w k
            writeValue &w x
    | Ext(t, d) -> w.WriteExt(t, ReadOnlySpan d)
    | Timestamp(s, n) -> w.WriteTimestamp(MsgPackTimestamp(s, n))

/// Reads one dynamic value with the raw reader (integers as Int unless above Int64.MaxValue).
let rec readValue (r: byref<MsgPackReader>) : MsgValue =
    match r.NextType with
    | MsgPackType.Nil ->
        r.ReadNil()
        Nil
    | MsgPackType.Boolean -> Bool(r.ReadBoolean())
    | MsgPackType.Integer ->
        if r.NextCode = 0xcfuy then
            let u = r.ReadUInt64()
            if u > uint64 Int64.MaxValue then UInt u else Int(int64 u)
        else
            Int(r.ReadInt64())
    | MsgPackType.Float -> if r.NextCode = 0xcauy then Float32(r.ReadSingle()) else Float64(r.ReadDouble())
    | MsgPackType.String -> Str(r.ReadString())
    | MsgPackType.Binary -> Bin(r.ReadByteArray())
    | MsgPackType.Array ->
        r.Enter()
        let n = r.ReadArrayHeader()
        let items = ResizeArray()
        for _ in 1..n do
            items.Add(readValue &r)
        r.Leave()
        Arr(List.ofSeq items)
    | MsgPackType.Map ->
        r.Enter()
        let n = r.ReadMapHeader()
        let items = ResizeArray()
        for _ in 1..n do
            let k = readValue &r
            let v = readValue &r
            items.Add((k, v))
        r.Leave()
        Map(List.ofSeq items)
    | MsgPackType.Extension ->
        let code = r.NextCode
        // Peek the type code: it follows the length for ext8/16/32.
        let typeOffset =
            match code with
            | 0xc7uy -> 2
            | 0xc8uy -> 3
            | 0xc9uy -> 5
            | _ -> 1
        let raw = r.ReadRawValue().ToArray()
        if sbyte raw[typeOffset] = -1y then
            let mutable again = MsgPackReader(ReadOnlyMemory raw)
            let t = again.ReadTimestamp()
            Timestamp(t.Seconds, t.Nanoseconds)
        else
            let mutable again = MsgPackReader(ReadOnlyMemory raw)
            let e = again.ReadExt()
            Ext(e.TypeCode, e.Data.ToArray())
    | _ -> raise (MsgPackDecodeException("invalid byte", r.Consumed))

let encodeValue (v: MsgValue) = encode (WriteAction(fun w -> writeValue &w v))

/// Decodes exactly one value from the bytes, failing if any byte is left over.
let decodeValue (bytes: ReadOnlySequence<byte>) =
    let mutable r = MsgPackReader(bytes)
    let v = readValue &r
    if not r.End then failwith $"{r.Remaining} bytes left after the value"
    v

/// A python3 with the msgpack module, or None. The first `python3` on PATH may be a private
/// interpreter without Debian's packages, so /usr/bin/python3 is tried too.
let python =
    lazy
        ([ "python3"; "/usr/bin/python3" ]
         |> List.tryFind (fun exe ->
             try
                 use p =
                     Process.Start(
                         ProcessStartInfo(exe, [ "-c"; "import msgpack" ], RedirectStandardError = true, UseShellExecute = false)
                     )
                 p.StandardError.ReadToEnd() |> ignore
                 p.WaitForExit()
                 p.ExitCode = 0
             with _ ->
                 false))

/// Runs a python script with `input` on stdin and returns its stdout (fails on a non-zero exit).
let runPython (exe: string) (script: string) (input: string) =
    let file = Path.Combine(Path.GetTempPath(), $"tractor-msgpack-{Guid.NewGuid():N}.py")
    File.WriteAllText(file, script)
    try
        let psi =
            ProcessStartInfo(
                exe,
                [ file ],
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false
            )
        use p = Process.Start psi
        let err = p.StandardError.ReadToEndAsync()
        let out = p.StandardOutput.ReadToEndAsync()
        p.StandardInput.Write(input: string)
        p.StandardInput.Close()
        if not (p.WaitForExit 60_000) then
            p.Kill true
            failwith "python timed out"
        if p.ExitCode <> 0 then failwith $"python failed ({p.ExitCode}): {err.Result}"
        out.Result
    finally
        File.Delete file

/// The python side of `MsgValue.Canon`.
let pythonCanon =
    """
import sys, struct, msgpack

def canon(v):
    # ExtType is a namedtuple: test it before tuples.
    if isinstance(v, msgpack.ExtType): return "ext:%d:%s" % (v.code, v.data.hex())
    if isinstance(v, msgpack.Timestamp): return "ts:%d:%d" % (v.seconds, v.nanoseconds)
    if v is None: return "nil"
    if v is True: return "true"
    if v is False: return "false"
    if isinstance(v, int): return "int:%d" % v
    if isinstance(v, float): return "float:" + struct.pack(">d", v).hex()
    if isinstance(v, str): return "str:" + v.encode("utf-8").hex()
    if isinstance(v, bytes): return "bin:" + v.hex()
    if isinstance(v, (list, tuple)): return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict): return "{" + ",".join(canon(k) + ":" + canon(x) for k, x in v.items()) + "}"
    raise Exception("unexpected %r" % (v,))

def unpack(data):
    return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=True)
"""

/// Runs `f` on a reader over `bytes` and returns the MsgPackDecodeException it must throw.
let decodeFails (bytes: byte array) (f: ReadFunc<'T>) : MsgPackDecodeException =
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    let mutable caught = None
    try
        f.Invoke(&r) |> ignore
    with :? MsgPackDecodeException as e ->
        caught <- Some e
    match caught with
    | Some e -> e
    | None -> raise (AssertionException $"expected a MsgPackDecodeException decoding {hex bytes}")

/// Byte-array equality with a readable failure (hex).
let assertBytes (actual: byte array) (expected: byte array) =
    Assert.That(hex actual, Is.EqualTo(hex expected))
