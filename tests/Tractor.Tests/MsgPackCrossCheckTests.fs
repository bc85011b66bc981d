/// Cross-check against an independent implementation: Debian's python3-msgpack decodes what we
/// encode to the expected values, and we decode what it encodes.
module TractorNet.Tests.MsgPackCrossCheckTests

open System
open NUnit.Framework
open TractorNet.Wire
open TractorNet.Tests.MsgPackTestSupport

let private pythonOrIgnore () =
    match python.Value with
    | Some exe -> exe
    | None ->
        Assert.Ignore "python3 with the msgpack module is not installed (apt-get install python3-msgpack); cross-check skipped"
        ""

/// A rich set of values covering every format family and size class. (No negative ext codes:
/// they are reserved by the specification and python's ExtType refuses them.)
let richValues: MsgValue list =
    [ yield Nil
      yield Bool true
      yield Bool false
      for i in [ 0L; 1L; 127L; 128L; 255L; 256L; 65535L; 65536L; 4294967295L; 4294967296L; Int64.MaxValue
                 -1L; -32L; -33L; -128L; -129L; -32768L; -32769L; -2147483648L; -2147483649L; Int64.MinValue ] -> Int i
      yield UInt UInt64.MaxValue
      yield Float64 0.0
      yield Float64 -0.0
      yield Float64 Math.PI
      yield Float64 Double.MaxValue
      yield Float64 Double.Epsilon
      yield Float64 Double.PositiveInfinity
      yield Float32 1.5f
      yield Float32 -3.25e10f
      for n in [ 0; 1; 31; 32; 255; 256; 65535; 65536 ] -> Str(String('a', n))
      yield Str "Кириллица ひらがな 🍺 é"
      for n in [ 0; 1; 255; 256; 65536 ] -> Bin(Array.init n byte)
      yield Arr []
      yield Arr [ Int 1; Str "two"; Nil; Arr [ Bool true ] ]
      yield Arr [ for i in 1..16 -> Int i ]
      yield Arr [ for i in 1..70000 -> Int(int64 (i % 300)) ]
      yield Map []
      yield Map [ Str "a", Int 1; Int 2, Str "b"; Str "nested", Map [ Str "x", Arr [ Float64 1.5 ] ] ]
      yield Map [ for i in 1..20 -> Str $"k{i}", Int i ]
      for n in [ 1; 2; 4; 8; 16; 0; 3; 255; 256; 70000 ] -> Ext(42y, Array.init n (fun i -> byte (i * 3)))
      yield Timestamp(0L, 0u)
      yield Timestamp(1514862245L, 0u)
      yield Timestamp(1514862245L, 678901234u)
      yield Timestamp(17179869184L, 0u)
      yield Timestamp(-1L, 999999999u)
      yield Timestamp(-62135596800L, 0u) ]

let ``python decodes what we encode to the expected values`` () =
    let exe = pythonOrIgnore ()
    let script =
        pythonCanon
        + """
for line in sys.stdin:
    line = line.strip()
    if line:
        print(canon(unpack(bytes.fromhex(line))))
"""
    let input = richValues |> List.map (encodeValue >> hex) |> String.concat "\n"
    let output = (runPython exe script input).Split('\n', StringSplitOptions.RemoveEmptyEntries)
    Assert.That(output.Length, Is.EqualTo richValues.Length)
    for v, seen in List.zip richValues (List.ofArray output) do
        Assert.That(seen, Is.EqualTo(MsgValue.Canon v))

let ``we decode what python encodes`` () =
    let exe = pythonOrIgnore ()
    let script =
        pythonCanon
        + """
values = [None, True, False, 0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1,
          -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63,
          0.0, -0.0, 1.5, 3.141592653589793, 1e308, float("inf"),
          "", "a", "a" * 31, "a" * 32, "a" * 256, "a" * 70000, "Кириллица ひらがな 🍺",
          b"", b"\x00\x01", b"x" * 256, b"y" * 70000,
          [], [1, "two", None, [True]], list(range(16)), list(range(70000)),
          {}, {"a": 1, 2: "b", "nested": {"x": [1.5]}}, {("k%d" % i): i for i in range(20)},
          msgpack.ExtType(42, b"\x01"), msgpack.ExtType(42, b"\x01\x02\x03"), msgpack.ExtType(5, b"z" * 300),
          msgpack.Timestamp(0, 0), msgpack.Timestamp(1514862245, 678901234), msgpack.Timestamp(2**34, 0),
          msgpack.Timestamp(-1, 999999999)]
for v in values:
    data = msgpack.packb(v, use_bin_type=True)
    print(data.hex() + " " + canon(unpack(data)))
print(msgpack.packb(1.5, use_single_float=True).hex() + " " + canon(1.5))
"""
    let lines = (runPython exe script "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
    Assert.That(lines.Length, Is.GreaterThan 50)
    for line in lines do
        let parts = line.Split(' ')
        let decoded = decodeValue (Buffers.ReadOnlySequence(unhex parts[0]))
        Assert.That(MsgValue.Canon decoded, Is.EqualTo parts[1], parts[0])

type private Job = { Name: string; Priority: int; Tags: string list; Due: DateTime option }

type private Shape =
    | Circle of float
    | Rect of float * float
    | Empty

let ``python reads our typed encodings as documented`` () =
    let exe = pythonOrIgnore ()
    let due = DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks 1234L
    let build = hex (Text.Encoding.UTF8.GetBytes "build")
    let cases: (byte array * string) list =
        [ MsgPack.serialize { Name = "build"; Priority = 3; Tags = [ "a" ]; Due = Some due },
          $"[str:{build},int:3,[str:61],ts:{(due - DateTime.UnixEpoch).Ticks / 10_000_000L}:{(due.Ticks % 10_000_000L) * 100L}]"
          MsgPack.serialize [ Circle 1.5; Rect(2.0, 0.5); Empty ], "[[int:0,float:3ff8000000000000],[int:1,float:4000000000000000,float:3fe0000000000000],int:2]"
          MsgPack.serialize (Map.ofList [ "x", Some 1; "y", None ]), "{str:78:int:1,str:79:nil}"
          MsgPack.serialize (Some(Some "s"), (None: int option)), "[[[str:73]],nil]"
          MsgPack.serialize (Guid.Parse "00112233-4455-6677-8899-aabbccddeeff"), "bin:00112233445566778899aabbccddeeff"
          MsgPack.serialize (Ok 1: Result<int, string>), "[int:0,int:1]"
          MsgPack.serialize 12.25m, "str:31322e3235" ]
    let script =
        pythonCanon
        + """
import uuid
for line in sys.stdin:
    line = line.strip()
    if line:
        print(canon(unpack(bytes.fromhex(line))))
"""
    let output = (runPython exe script (cases |> List.map (fst >> hex) |> String.concat "\n")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
    Assert.That(output.Length, Is.EqualTo cases.Length)
    for (_, expected), seen in List.zip cases (List.ofArray output) do
        Assert.That(seen, Is.EqualTo expected)

let ``our typed decoders read what python writes`` () =
    let exe = pythonOrIgnore ()
    let script =
        """
import sys, uuid, datetime, msgpack
seconds = int(datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc).timestamp())
ts = msgpack.Timestamp(seconds, 123400000)
print(msgpack.packb(["build", 3, ["a", "b"], ts]).hex())
print(msgpack.packb([[0, 1.5], [1, 2.0, 0.5], 2]).hex())
print(msgpack.packb(uuid.UUID("00112233-4455-6677-8899-aabbccddeeff").bytes, use_bin_type=True).hex())
print(msgpack.packb({"x": 1, "y": None}).hex())
"""
    let lines = (runPython exe script "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
    Assert.That(
        MsgPack.deserialize<Job> (unhex lines[0]),
        Is.EqualTo { Name = "build"; Priority = 3; Tags = [ "a"; "b" ]; Due = Some(DateTime(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc).AddTicks 4000L) }
    )
    Assert.That(MsgPack.deserialize<Shape list> (unhex lines[1]), Is.EqualTo(box [ Circle 1.5; Rect(2.0, 0.5); Empty ]))
    Assert.That(MsgPack.deserialize<Guid> (unhex lines[2]), Is.EqualTo(Guid.Parse "00112233-4455-6677-8899-aabbccddeeff"))
    Assert.That(MsgPack.deserialize<Map<string, int option>> (unhex lines[3]), Is.EqualTo(box (Map.ofList [ "x", Some 1; "y", None ])))

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "MsgPackCrossCheckTests" [
        Register.test "python decodes what we encode to the expected values" ``python decodes what we encode to the expected values``
        Register.test "we decode what python encodes" ``we decode what python encodes``
        Register.test "python reads our typed encodings as documented" ``python reads our typed encodings as documented``
        Register.test "our typed decoders read what python writes" ``our typed decoders read what python writes``
    ]
