/// The raw MessagePack writer and reader: exact encodings at every size boundary, round trips
/// through the typed read methods, and inputs split across segments.
module TractorNet.Tests.MsgPackFormatTests

open System
open System.Buffers
open System.Text
open NUnit.Framework
open TractorNet.Wire
open TractorNet.Tests.MsgPackTestSupport

let private bytesOf (f: WriteAction) = hex (encode f)

let ``integers take their smallest encoding`` (value: int64, expected: string) =
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteInt64 value)), Is.EqualTo expected)
    let mutable r = MsgPackReader(ReadOnlyMemory(unhex expected))
    Assert.That(r.ReadInt64(), Is.EqualTo value)
    Assert.That(r.End, Is.True)

let ``narrow integer writers agree with WriteInt64`` () =
    for v in [ -129L; -128L; -33L; -1L; 0L; 1L; 127L; 128L; 255L ] do
        if v >= -128L && v <= 127L then
            Assert.That(bytesOf (WriteAction(fun w -> w.WriteSByte(sbyte v))), Is.EqualTo(bytesOf (WriteAction(fun w -> w.WriteInt64 v))))
        if v >= -32768L && v <= 32767L then
            Assert.That(bytesOf (WriteAction(fun w -> w.WriteInt16(int16 v))), Is.EqualTo(bytesOf (WriteAction(fun w -> w.WriteInt64 v))))
        Assert.That(bytesOf (WriteAction(fun w -> w.WriteInt32(int v))), Is.EqualTo(bytesOf (WriteAction(fun w -> w.WriteInt64 v))))
        if v >= 0L then
            Assert.That(bytesOf (WriteAction(fun w -> w.WriteUInt32(uint32 v))), Is.EqualTo(bytesOf (WriteAction(fun w -> w.WriteInt64 v))))
            Assert.That(bytesOf (WriteAction(fun w -> w.WriteUInt16(uint16 v))), Is.EqualTo(bytesOf (WriteAction(fun w -> w.WriteInt64 v))))
        if v >= 0L && v <= 255L then
            Assert.That(bytesOf (WriteAction(fun w -> w.WriteByte(byte v))), Is.EqualTo(bytesOf (WriteAction(fun w -> w.WriteInt64 v))))
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteUInt64 UInt64.MaxValue)), Is.EqualTo "cfffffffffffffffff")

let ``integer reads accept every encoding that fits and reject the rest`` () =
    // 200 as uint8, uint16, uint32, uint64, int16, int32, int64
    for enc in [ "ccc8"; "cd00c8"; "ce000000c8"; "cf00000000000000c8"; "d100c8"; "d2000000c8"; "d300000000000000c8" ] do
        let mutable r = MsgPackReader(ReadOnlyMemory(unhex enc))
        Assert.That(r.ReadByte(), Is.EqualTo 200uy, enc)
        let mutable r = MsgPackReader(ReadOnlyMemory(unhex enc))
        Assert.That(r.ReadInt16(), Is.EqualTo 200s, enc)
        let mutable r = MsgPackReader(ReadOnlyMemory(unhex enc))
        Assert.That(r.ReadUInt64(), Is.EqualTo 200UL, enc)
        let e = decodeFails (unhex enc) (ReadFunc(fun r -> r.ReadSByte()))
        Assert.That(e.Message, Does.Contain "200 does not fit in SByte")
    let e = decodeFails (unhex "ff") (ReadFunc(fun r -> r.ReadUInt32()))
    Assert.That(e.Message, Is.EqualTo "integer -1 does not fit in UInt32 at offset 0")
    let e = decodeFails (unhex "cfffffffffffffffff") (ReadFunc(fun r -> r.ReadInt64()))
    Assert.That(e.Message, Does.Contain "18446744073709551615 does not fit in Int64")
    let mutable r = MsgPackReader(ReadOnlyMemory(unhex "d280000000"))
    Assert.That(r.ReadInt32(), Is.EqualTo Int32.MinValue)
    let e = decodeFails (unhex "d3ffffffff7fffffff") (ReadFunc(fun r -> r.ReadInt32()))
    Assert.That(e.Message, Does.Contain "-2147483649 does not fit in Int32")

let ``nil bool and floats`` () =
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteNil())), Is.EqualTo "c0")
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteBoolean false; w.WriteBoolean true)), Is.EqualTo "c2c3")
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteSingle 0.5f)), Is.EqualTo "ca3f000000")
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteDouble -0.5)), Is.EqualTo "cbbfe0000000000000")
    let bytes = encode (WriteAction(fun w -> w.WriteNil(); w.WriteBoolean true; w.WriteSingle 1.5f; w.WriteDouble Math.PI; w.WriteDouble nan))
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    Assert.That(r.TryReadNil(), Is.True)
    Assert.That(r.TryReadNil(), Is.False)
    Assert.That(r.ReadBoolean(), Is.True)
    Assert.That(r.ReadSingle(), Is.EqualTo 1.5f)
    Assert.That(r.ReadDouble(), Is.EqualTo Math.PI)
    Assert.That(Double.IsNaN(r.ReadDouble()), Is.True)
    Assert.That(r.End, Is.True)

let ``float reads widen narrow and convert integers`` () =
    let mutable r = MsgPackReader(ReadOnlyMemory(Array.append (unhex "ca3fc00000") (unhex "cb3ff8000000000000")))
    Assert.That(r.ReadDouble(), Is.EqualTo 1.5)
    Assert.That(r.ReadSingle(), Is.EqualTo 1.5f)
    let mutable r = MsgPackReader(ReadOnlyMemory(unhex "d0df"))
    Assert.That(r.ReadDouble(), Is.EqualTo -33.0)
    let e = decodeFails (unhex "a0") (ReadFunc(fun r -> r.ReadDouble()))
    Assert.That(e.Message, Is.EqualTo "expected float, found str at offset 0")

let ``str headers at each size`` (length: int, header: string) =
    let text = String('x', length)
    let bytes = encode (WriteAction(fun w -> w.WriteString text))
    Assert.That(hex bytes[.. header.Length / 2 - 1], Is.EqualTo header)
    Assert.That(bytes.Length, Is.EqualTo(header.Length / 2 + length))
    let viaHeader = encode (WriteAction(fun w -> w.WriteStringHeader length))
    Assert.That(hex viaHeader, Is.EqualTo header)
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    Assert.That(r.ReadString(), Is.EqualTo text)
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    Assert.That(r.ReadStringBytes().Length, Is.EqualTo(int64 length))

let ``strings are UTF-8 from string, span and raw bytes`` () =
    for text in [ "h"; "héllo"; "ひらがな"; "🍺"; String('é', 10); String('ж', 11); String.replicate 20000 "🍺"; "a" + String('ひ', 40000) ] do
        let utf8 = Encoding.UTF8.GetBytes text
        let a = encode (WriteAction(fun w -> w.WriteString text))
        let b = encode (WriteAction(fun w -> w.WriteString(text.AsSpan())))
        let c = encode (WriteAction(fun w -> w.WriteStringUtf8(ReadOnlySpan utf8)))
        assertBytes (a) (c)
        assertBytes (b) (c)
        let mutable r = MsgPackReader(ReadOnlyMemory a)
        Assert.That(r.ReadString(), Is.EqualTo text)
        let mutable r = MsgPackReader(ReadOnlyMemory a)
        assertBytes (r.ReadStringSpan().ToArray()) (utf8)
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteString(null: string))), Is.EqualTo "c0")
    // A lone surrogate cannot be UTF-8: it becomes U+FFFD, consistently in length and bytes.
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteString "a\ud800")), Is.EqualTo "a461efbfbd")
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteString(String('a', 20) + "\ud800"))), Does.StartWith "b7")

let ``bin headers at each size`` (length: int, header: string) =
    let data = Array.init length byte
    let bytes = encode (WriteAction(fun w -> w.WriteBinary(ReadOnlySpan data)))
    Assert.That(hex bytes[.. header.Length / 2 - 1], Is.EqualTo header)
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    assertBytes (r.ReadBytes().ToArray()) (data)
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    assertBytes (r.ReadByteArray()) (data)

let ``array and map headers at each size`` (count: int, arrayHeader: string, mapHeader: string) =
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteArrayHeader count)), Is.EqualTo arrayHeader)
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteMapHeader count)), Is.EqualTo mapHeader)
    let array = encode (WriteAction(fun w -> w.WriteArrayHeader count; (for i in 1..count do w.WriteInt32 1)))
    let mutable r = MsgPackReader(ReadOnlyMemory array)
    Assert.That(r.ReadArrayHeader(), Is.EqualTo count)
    let map = encode (WriteAction(fun w -> w.WriteMapHeader count; (for i in 1..count do w.WriteInt32 1; w.WriteNil())))
    let mutable r = MsgPackReader(ReadOnlyMemory map)
    Assert.That(r.ReadMapHeader(), Is.EqualTo count)

let ``ext headers at each size`` (length: int, header: string) =
    let data = Array.init length (fun i -> byte (i * 7))
    let bytes = encode (WriteAction(fun w -> w.WriteExt(5y, ReadOnlySpan data)))
    Assert.That(hex bytes[.. header.Length / 2 - 1], Is.EqualTo header)
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    let e = r.ReadExt()
    Assert.That(e.TypeCode, Is.EqualTo 5y)
    assertBytes (e.Data.ToArray()) (data)
    Assert.That(r.End, Is.True)

let ``timestamps take their smallest form`` (seconds: int64, nanos: uint32, expected: string) =
    Assert.That(bytesOf (WriteAction(fun w -> w.WriteTimestamp(MsgPackTimestamp(seconds, nanos)))), Is.EqualTo expected)
    let mutable r = MsgPackReader(ReadOnlyMemory(unhex expected))
    Assert.That(r.ReadTimestamp(), Is.EqualTo(MsgPackTimestamp(seconds, nanos)))

let ``DateTime goes through the timestamp extension as UTC`` () =
    for dt in [ DateTime.UnixEpoch; DateTime(1969, 12, 31, 23, 59, 59, 999, DateTimeKind.Utc).AddTicks 9L; DateTime.MinValue; DateTime.MaxValue; DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Utc) ] do
        let bytes = encode (WriteAction(fun w -> w.WriteDateTime dt))
        let mutable r = MsgPackReader(ReadOnlyMemory bytes)
        let back = r.ReadDateTime()
        Assert.That(back.Ticks, Is.EqualTo dt.Ticks)
        Assert.That(back.Kind, Is.EqualTo DateTimeKind.Utc)
    let local = DateTime(2020, 5, 5, 10, 0, 0, DateTimeKind.Local)
    let mutable r = MsgPackReader(ReadOnlyMemory(encode (WriteAction(fun w -> w.WriteDateTime local))))
    Assert.That(r.ReadDateTime(), Is.EqualTo(local.ToUniversalTime()))
    // Outside DateTime's range: a decode error, not an ArgumentOutOfRangeException.
    let e = decodeFails (encode (WriteAction(fun w -> w.WriteTimestamp(MsgPackTimestamp(Int64.MaxValue, 0u))))) (ReadFunc(fun r -> r.ReadDateTime()))
    Assert.That(e.Message, Does.Contain "outside DateTime's range")

let ``Skip and ReadRawValue step over whole values`` () =
    let value =
        Arr [ Map [ Str "a", Arr [ Int 1; Float64 2.0; Bin [| 1uy |] ]; Int 300, Ext(3y, [| 1uy; 2uy; 3uy |]) ]; Timestamp(1L, 2u); Nil; Bool true; Float32 1.0f; Int -5000000000L ]
    let bytes = Array.append (encodeValue value) (unhex "2a")
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    r.Skip()
    Assert.That(r.Consumed, Is.EqualTo(int64 bytes.Length - 1L))
    Assert.That(r.ReadInt32(), Is.EqualTo 42)
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    assertBytes (r.ReadRawValue().ToArray()) (bytes[.. bytes.Length - 2])

let ``wrong-type errors name both types and leave the reader on the value`` () =
    let bytes = encodeValue (Arr [ Int 1; Arr []; Str "x" ])
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    r.ReadArrayHeader() |> ignore
    r.ReadInt32() |> ignore
    let mutable error = None
    try
        r.ReadString() |> ignore
    with :? MsgPackDecodeException as e ->
        error <- Some e
    let e = error.Value
    Assert.That(e.Message, Is.EqualTo "expected str, found array at offset 2")
    Assert.That(e.Offset, Is.EqualTo 2L)
    Assert.That(r.ReadArrayHeader(), Is.EqualTo 0)
    Assert.That(r.ReadString(), Is.EqualTo "x")

let ``every value reads back across one-byte segments`` () =
    let value =
        Arr [ Str(String('ж', 100)); Bin(Array.init 300 byte); Int Int64.MinValue; UInt UInt64.MaxValue; Float64 -1.25; Float32 3.5f
              Timestamp(-5L, 7u); Timestamp(1L, 0u); Timestamp(17179869184L, 1u); Ext(9y, Array.init 20 byte); Map [ Str "k", Nil ] ]
    let bytes = encodeValue value
    for size in [ 1; 2; 3; 7 ] do
        Assert.That(decodeValue (segmented size bytes), Is.EqualTo value, $"segments of {size}")
        let mutable r = MsgPackReader(segmented size bytes)
        r.Skip()
        Assert.That(r.End, Is.True)

let ``writer works with a buffer writer that hands out small blocks`` () =
    let value = Arr [ Str(String('ж', 100)); Bin(Array.init 5000 byte); Int 1; Str "tail"; Str(String('x', 70000)) ]
    let stingy = StingyBufferWriter(3)
    let mutable w = MsgPackWriter(stingy)
    writeValue &w value
    Assert.That(w.BytesWritten, Is.GreaterThan 75000L)
    w.Flush()
    assertBytes (stingy.Written) (encodeValue value)

let ``nothing reaches the output before Flush`` () =
    let buffer = ArrayBufferWriter<byte>()
    let mutable w = MsgPackWriter(buffer)
    w.WriteInt32 1
    Assert.That(buffer.WrittenCount, Is.EqualTo 0)
    Assert.That(w.BytesWritten, Is.EqualTo 1L)
    w.Flush()
    Assert.That(buffer.WrittenCount, Is.EqualTo 1)

let ``writer depth limit catches runaway nesting`` () =
    let buffer = ArrayBufferWriter<byte>()
    let mutable w = MsgPackWriter(buffer, 3)
    w.Enter()
    w.Enter()
    w.Enter()
    let mutable failed = None
    try
        w.Enter()
    with :? MsgPackEncodeException as e ->
        failed <- Some e.Message
    Assert.That(failed, Is.EqualTo(Some "nesting deeper than 3 levels (a cyclic object graph?)"))
    Assert.That(w.Depth, Is.EqualTo 3)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "MsgPackFormatTests" [
        yield! Register.cases "integers take their smallest encoding" [
            "(0L, \"00\")", (fun () -> ``integers take their smallest encoding`` (0L, "00"))
            "(127L, \"7f\")", (fun () -> ``integers take their smallest encoding`` (127L, "7f"))
            "(128L, \"cc80\")", (fun () -> ``integers take their smallest encoding`` (128L, "cc80"))
            "(255L, \"ccff\")", (fun () -> ``integers take their smallest encoding`` (255L, "ccff"))
            "(256L, \"cd0100\")", (fun () -> ``integers take their smallest encoding`` (256L, "cd0100"))
            "(65535L, \"cdffff\")", (fun () -> ``integers take their smallest encoding`` (65535L, "cdffff"))
            "(65536L, \"ce00010000\")", (fun () -> ``integers take their smallest encoding`` (65536L, "ce00010000"))
            "(4294967295L, \"ceffffffff\")", (fun () -> ``integers take their smallest encoding`` (4294967295L, "ceffffffff"))
            "(4294967296L, \"cf0000000100000000\")", (fun () -> ``integers take their smallest encoding`` (4294967296L, "cf0000000100000000"))
            "(Int64.MaxValue, \"cf7fffffffffffffff\")", (fun () -> ``integers take their smallest encoding`` (Int64.MaxValue, "cf7fffffffffffffff"))
            "(-1L, \"ff\")", (fun () -> ``integers take their smallest encoding`` (-1L, "ff"))
            "(-32L, \"e0\")", (fun () -> ``integers take their smallest encoding`` (-32L, "e0"))
            "(-33L, \"d0df\")", (fun () -> ``integers take their smallest encoding`` (-33L, "d0df"))
            "(-128L, \"d080\")", (fun () -> ``integers take their smallest encoding`` (-128L, "d080"))
            "(-129L, \"d1ff7f\")", (fun () -> ``integers take their smallest encoding`` (-129L, "d1ff7f"))
            "(-32768L, \"d18000\")", (fun () -> ``integers take their smallest encoding`` (-32768L, "d18000"))
            "(-32769L, \"d2ffff7fff\")", (fun () -> ``integers take their smallest encoding`` (-32769L, "d2ffff7fff"))
            "(-2147483648L, \"d280000000\")", (fun () -> ``integers take their smallest encoding`` (-2147483648L, "d280000000"))
            "(-2147483649L, \"d3ffffffff7fffffff\")", (fun () -> ``integers take their smallest encoding`` (-2147483649L, "d3ffffffff7fffffff"))
            "(Int64.MinValue, \"d38000000000000000\")", (fun () -> ``integers take their smallest encoding`` (Int64.MinValue, "d38000000000000000"))
        ]
        Register.test "narrow integer writers agree with WriteInt64" ``narrow integer writers agree with WriteInt64``
        Register.test "integer reads accept every encoding that fits and reject the rest" ``integer reads accept every encoding that fits and reject the rest``
        Register.test "nil bool and floats" ``nil bool and floats``
        Register.test "float reads widen narrow and convert integers" ``float reads widen narrow and convert integers``
        yield! Register.cases "str headers at each size" [
            "(0, \"a0\")", (fun () -> ``str headers at each size`` (0, "a0"))
            "(31, \"bf\")", (fun () -> ``str headers at each size`` (31, "bf"))
            "(32, \"d920\")", (fun () -> ``str headers at each size`` (32, "d920"))
            "(255, \"d9ff\")", (fun () -> ``str headers at each size`` (255, "d9ff"))
            "(256, \"da0100\")", (fun () -> ``str headers at each size`` (256, "da0100"))
            "(65535, \"daffff\")", (fun () -> ``str headers at each size`` (65535, "daffff"))
            "(65536, \"db00010000\")", (fun () -> ``str headers at each size`` (65536, "db00010000"))
        ]
        Register.test "strings are UTF-8 from string, span and raw bytes" ``strings are UTF-8 from string, span and raw bytes``
        yield! Register.cases "bin headers at each size" [
            "(0, \"c400\")", (fun () -> ``bin headers at each size`` (0, "c400"))
            "(255, \"c4ff\")", (fun () -> ``bin headers at each size`` (255, "c4ff"))
            "(256, \"c50100\")", (fun () -> ``bin headers at each size`` (256, "c50100"))
            "(65535, \"c5ffff\")", (fun () -> ``bin headers at each size`` (65535, "c5ffff"))
            "(65536, \"c600010000\")", (fun () -> ``bin headers at each size`` (65536, "c600010000"))
        ]
        yield! Register.cases "array and map headers at each size" [
            "(0, \"90\", \"80\")", (fun () -> ``array and map headers at each size`` (0, "90", "80"))
            "(15, \"9f\", \"8f\")", (fun () -> ``array and map headers at each size`` (15, "9f", "8f"))
            "(16, \"dc0010\", \"de0010\")", (fun () -> ``array and map headers at each size`` (16, "dc0010", "de0010"))
            "(65535, \"dcffff\", \"deffff\")", (fun () -> ``array and map headers at each size`` (65535, "dcffff", "deffff"))
            "(65536, \"dd00010000\", \"df00010000\")", (fun () -> ``array and map headers at each size`` (65536, "dd00010000", "df00010000"))
        ]
        yield! Register.cases "ext headers at each size" [
            "(1, \"d405\")", (fun () -> ``ext headers at each size`` (1, "d405"))
            "(2, \"d505\")", (fun () -> ``ext headers at each size`` (2, "d505"))
            "(4, \"d605\")", (fun () -> ``ext headers at each size`` (4, "d605"))
            "(8, \"d705\")", (fun () -> ``ext headers at each size`` (8, "d705"))
            "(16, \"d805\")", (fun () -> ``ext headers at each size`` (16, "d805"))
            "(0, \"c70005\")", (fun () -> ``ext headers at each size`` (0, "c70005"))
            "(3, \"c70305\")", (fun () -> ``ext headers at each size`` (3, "c70305"))
            "(255, \"c7ff05\")", (fun () -> ``ext headers at each size`` (255, "c7ff05"))
            "(256, \"c8010005\")", (fun () -> ``ext headers at each size`` (256, "c8010005"))
            "(65536, \"c90001000005\")", (fun () -> ``ext headers at each size`` (65536, "c90001000005"))
        ]
        yield! Register.cases "timestamps take their smallest form" [
            "(0L, 0u, \"d6ff00000000\")", (fun () -> ``timestamps take their smallest form`` (0L, 0u, "d6ff00000000"))
            "(4294967295L, 0u, \"d6ffffffffff\")", (fun () -> ``timestamps take their smallest form`` (4294967295L, 0u, "d6ffffffffff"))
            "(4294967296L, 0u, \"d7ff0000000100000000\")", (fun () -> ``timestamps take their smallest form`` (4294967296L, 0u, "d7ff0000000100000000"))
            "(0L, 1u, \"d7ff0000000400000000\")", (fun () -> ``timestamps take their smallest form`` (0L, 1u, "d7ff0000000400000000"))
            "(17179869183L, 999999999u, \"d7ffee6b27ffffffffff\")", (fun () -> ``timestamps take their smallest form`` (17179869183L, 999999999u, "d7ffee6b27ffffffffff"))
            "(17179869184L, 0u, \"c70cff000000000000000400000000\")", (fun () -> ``timestamps take their smallest form`` (17179869184L, 0u, "c70cff000000000000000400000000"))
            "(-1L, 999999999u, \"c70cff3b9ac9ffffffffffffffffff\")", (fun () -> ``timestamps take their smallest form`` (-1L, 999999999u, "c70cff3b9ac9ffffffffffffffffff"))
        ]
        Register.test "DateTime goes through the timestamp extension as UTC" ``DateTime goes through the timestamp extension as UTC``
        Register.test "Skip and ReadRawValue step over whole values" ``Skip and ReadRawValue step over whole values``
        Register.test "wrong-type errors name both types and leave the reader on the value" ``wrong-type errors name both types and leave the reader on the value``
        Register.test "every value reads back across one-byte segments" ``every value reads back across one-byte segments``
        Register.test "writer works with a buffer writer that hands out small blocks" ``writer works with a buffer writer that hands out small blocks``
        Register.test "nothing reaches the output before Flush" ``nothing reaches the output before Flush``
        Register.test "writer depth limit catches runaway nesting" ``writer depth limit catches runaway nesting``
    ]
