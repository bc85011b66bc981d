/// Bad input: every failure is a MsgPackDecodeException with a clear message and offset —
/// never another exception, an OutOfMemory, a stack overflow or a hang.
module TractorNet.Tests.MsgPackBadInputTests

open System
open System.Diagnostics
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open TractorNet.Wire
open TractorNet.Tests.MsgPackTestSupport

let private samples: MsgValue list =
    [ Int 300
      Int -70000
      UInt UInt64.MaxValue
      Float32 1.5f
      Float64 2.5
      Str "héllo wörld, a str8 of more than thirty-one bytes"
      Bin(Array.init 300 byte)
      Arr [ Int 1; Arr [ Str "x"; Nil ]; Map [ Str "k", Bool true ] ]
      Map [ Int 1, Ext(7y, [| 1uy; 2uy; 3uy |]); Str "t", Timestamp(17179869184L, 5u) ]
      Timestamp(1L, 0u)
      Timestamp(1L, 1u)
      Ext(1y, Array.zeroCreate 300) ]

let ``truncation at every cut point is a decode error`` () =
    for v in samples do
        let bytes = encodeValue v
        for cut in 0 .. bytes.Length - 1 do
            let part = bytes[.. cut - 1]
            let e = decodeFails part (ReadFunc(fun r -> readValue &r))
            Assert.That(e.Message, Does.Contain("end of data").Or.Contain("truncated").Or.Contain("remain"), $"{v} cut at {cut}")
            Assert.That(e.Offset, Is.InRange(0L, int64 cut))
            let e = decodeFails part (ReadFunc(fun r -> r.Skip()))
            Assert.That(e.Offset, Is.InRange(0L, int64 cut))

let ``wrong types are named`` () =
    let e = decodeFails (encodeValue (Arr [])) (ReadFunc(fun r -> r.ReadString()))
    Assert.That(e.Message, Is.EqualTo "expected str, found array at offset 0")
    let e = decodeFails (encodeValue (Str "x")) (ReadFunc(fun r -> r.ReadInt32()))
    Assert.That(e.Message, Is.EqualTo "expected int, found str at offset 0")
    let e = decodeFails (encodeValue (Int 1)) (ReadFunc(fun r -> r.ReadMapHeader()))
    Assert.That(e.Message, Is.EqualTo "expected map, found int at offset 0")
    let e = decodeFails (encodeValue (Nil)) (ReadFunc(fun r -> r.ReadBoolean()))
    Assert.That(e.Message, Is.EqualTo "expected bool, found nil at offset 0")
    let e = decodeFails (encodeValue (Ext(3y, [| 1uy |]))) (ReadFunc(fun r -> r.ReadTimestamp()))
    Assert.That(e.Message, Is.EqualTo "expected timestamp (ext -1), found ext type 3 at offset 0")
    let e = decodeFails [| 0xc1uy |] (ReadFunc(fun r -> r.Skip()))
    Assert.That(e.Message, Does.Contain "0xc1")
    let e = decodeFails [| 0xc1uy |] (ReadFunc(fun r -> r.ReadInt64()))
    Assert.That(e.Message, Is.EqualTo "expected int, found the never-used byte 0xc1 at offset 0")

let ``absurd lengths fail at once, before allocating`` () =
    let cases =
        [ "db ffffffff 6162", "str header claims 4294967295 bytes but only 2 bytes remain"
          "c6 ffffffff 00", "bin header claims 4294967295 bytes but only 1 bytes remain"
          "dd ffffffff 01", "array header claims 4294967295 elements but only 1 bytes remain"
          "df 80000000 0101", "map header claims 2147483648 entries but only 2 bytes remain"
          "c9 ffffffff 05 00", "ext header claims 4294967295 bytes but only 1 bytes remain" ]
    for input, message in cases do
        let bytes = unhex (input.Replace(" ", ""))
        let before = GC.GetAllocatedBytesForCurrentThread()
        let e = decodeFails bytes (ReadFunc(fun r -> readValue &r))
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan 100_000L)
        Assert.That(e.Message, Is.EqualTo(message + " at offset 0"))
        let e = decodeFails bytes (ReadFunc(fun r -> r.Skip()))
        Assert.That(e.Message, Is.EqualTo(message + " at offset 0"))

let ``nesting beyond the limit is refused, and Skip copes with any depth`` () =
    let depth = 100_000
    let bytes = Array.append (Array.create depth 0x91uy) [| 0x01uy |]
    let e = decodeFails bytes (ReadFunc(fun r -> readValue &r))
    Assert.That(e.Message, Is.EqualTo "nesting deeper than 64 levels at offset 64")
    let mutable r = MsgPackReader(ReadOnlyMemory bytes)
    r.Skip()
    Assert.That(r.End, Is.True)
    // A configurable limit.
    let mutable r = MsgPackReader(ReadOnlyMemory(Array.append (Array.create 100 0x91uy) [| 0x01uy |]), 200)
    Assert.That(readValue &r, Is.Not.EqualTo Nil)

let ``invalid UTF-8 in a str is a decode error`` () =
    for bad in [ "a1ff"; "a2c328"; "a3e28228"; "a2eda0"; "a3f0908c" ] do
        let e = decodeFails (unhex bad) (ReadFunc(fun r -> r.ReadString()))
        Assert.That(e.Message, Is.EqualTo "invalid UTF-8 in str at offset 0", bad)
    // Across segments too.
    let mutable r = MsgPackReader(segmented 1 (unhex "a3e28228"))
    let mutable message = ""
    try
        r.ReadString() |> ignore
    with :? MsgPackDecodeException as e ->
        message <- e.Message
    Assert.That(message, Is.EqualTo "invalid UTF-8 in str at offset 0")

let ``invalid timestamps are decode errors`` () =
    // 64-bit form with nanoseconds 1e9 + 1; a 5-byte timestamp.
    let tooManyNanos = (uint64 1_000_000_001 <<< 34) ||| 1UL
    let bytes = Array.append (unhex "d7ff") (BitConverter.GetBytes tooManyNanos |> Array.rev)
    let e = decodeFails bytes (ReadFunc(fun r -> r.ReadTimestamp()))
    Assert.That(e.Message, Does.Contain "invalid timestamp: 1000000001 nanoseconds")
    let e = decodeFails (unhex "c705ff0000000000") (ReadFunc(fun r -> r.ReadTimestamp()))
    Assert.That(e.Message, Does.Contain "invalid timestamp length 5")

/// Random bytes either decode or fail with MsgPackDecodeException, quickly.
let ``random bytes decode or fail cleanly`` (bytes: byte array) =
    let sw = Stopwatch.StartNew()
    let outcome (f: ReadFunc<'T>) =
        let mutable r = MsgPackReader(ReadOnlyMemory bytes)
        try
            f.Invoke(&r) |> ignore
            true
        with :? MsgPackDecodeException ->
            true
    let ok = outcome (ReadFunc(fun r -> readValue &r)) && outcome (ReadFunc(fun r -> r.Skip()))
    ok && sw.ElapsedMilliseconds < 1000L

/// Random bytes biased towards headers (lengths, containers) decode or fail cleanly too.
let ``random header-heavy bytes decode or fail cleanly`` () =
    let headerish = Gen.elements [ 0xc4uy; 0xc5uy; 0xc6uy; 0xc7uy; 0xc9uy; 0xd9uy; 0xdbuy; 0xdcuy; 0xdduy; 0xdeuy; 0xdfuy; 0x9fuy; 0x8fuy; 0xffuy; 0x00uy; 0xd7uy; 0xcfuy ]
    let gen = Gen.frequency [ 3, headerish; 1, Gen.choose (0, 255) |> Gen.map byte ] |> Gen.arrayOf
    Prop.forAll (Arb.fromGen gen) (fun bytes ->
        let mutable r = MsgPackReader(ReadOnlyMemory bytes)
        let a =
            try
                readValue &r |> ignore
                true
            with :? MsgPackDecodeException ->
                true
        let mutable r = MsgPackReader(ReadOnlyMemory bytes)
        let b =
            try
                r.Skip()
                true
            with :? MsgPackDecodeException ->
                true
        a && b)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "MsgPackBadInputTests" [
        Register.test "truncation at every cut point is a decode error" ``truncation at every cut point is a decode error``
        Register.test "wrong types are named" ``wrong types are named``
        Register.test "absurd lengths fail at once, before allocating" ``absurd lengths fail at once, before allocating``
        Register.test "nesting beyond the limit is refused, and Skip copes with any depth" ``nesting beyond the limit is refused, and Skip copes with any depth``
        Register.test "invalid UTF-8 in a str is a decode error" ``invalid UTF-8 in a str is a decode error``
        Register.test "invalid timestamps are decode errors" ``invalid timestamps are decode errors``
        Register.property 1000 [] "random bytes decode or fail cleanly" ``random bytes decode or fail cleanly``
        Register.property 1000 [] "random header-heavy bytes decode or fail cleanly" ``random header-heavy bytes decode or fail cleanly``
    ]
