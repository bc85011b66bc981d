/// The published msgpack-test-suite vectors (read from ../shared/testdata, never copied here):
/// every listed encoding decodes to the value, and our encoding of the value is one of them.
module TractorNet.Tests.MsgPackConformanceTests

open System
open System.Buffers
open System.IO
open System.Numerics
open System.Text.Json
open NUnit.Framework
open TractorNet.Testing
open TractorNet.Wire
open TractorNet.Tests.MsgPackTestSupport

let private suitePath =
    Path.GetFullPath(Path.Combine(RepoPaths.root.Value, "..", "shared", "testdata", "msgpack-test-suite", "msgpack-test-suite.json"))

let private ignoreIfAbsent () =
    if not (File.Exists suitePath) then
        Assert.Ignore $"msgpack-test-suite not found at {suitePath}; conformance vectors skipped"

/// One vector: its group, the expected value and every valid encoding.
type Vector =
    { Group: string
      Value: MsgValue
      Encodings: string list }

    override this.ToString() = $"{this.Group}: {this.Value}"

let rec private ofJson (e: JsonElement) : MsgValue =
    match e.ValueKind with
    | JsonValueKind.Null -> Nil
    | JsonValueKind.True -> Bool true
    | JsonValueKind.False -> Bool false
    | JsonValueKind.String -> Str(e.GetString())
    | JsonValueKind.Number ->
        match e.TryGetInt64() with
        | true, i -> Int i
        | _ -> Float64(e.GetDouble())
    | JsonValueKind.Array -> Arr [ for x in e.EnumerateArray() -> ofJson x ]
    | JsonValueKind.Object -> Map [ for p in e.EnumerateObject() -> Str p.Name, ofJson p.Value ]
    | k -> failwith $"unexpected JSON {k}"

let private expectedValue (v: JsonElement) : MsgValue =
    let has (name: string) = v.TryGetProperty(name) |> fst
    let get (name: string) = v.GetProperty name
    if has "nil" then Nil
    elif has "bool" then Bool(get("bool").GetBoolean())
    elif has "binary" then Bin(unhex (get("binary").GetString()))
    elif has "bignum" then
        let n = BigInteger.Parse(get("bignum").GetString())
        if n > BigInteger Int64.MaxValue then UInt(uint64 n) else Int(int64 n)
    elif has "number" then ofJson (get "number")
    elif has "string" then Str(get("string").GetString())
    elif has "array" then ofJson (get "array")
    elif has "map" then ofJson (get "map")
    elif has "timestamp" then
        let t = get "timestamp"
        Timestamp(t[0].GetInt64(), t[1].GetUInt32())
    elif has "ext" then
        let t = get "ext"
        Ext(sbyte (t[0].GetInt32()), unhex (t[1].GetString()))
    else failwith $"unknown vector {v}"

/// The name of the single placeholder case listed when the suite is absent (it is ignored).
let private absent = "(suite absent)"

let vectors () : Vector list =
    if not (File.Exists suitePath) then
        [ { Group = absent; Value = Nil; Encodings = [] } ]
    else
    use doc = JsonDocument.Parse(File.ReadAllText suitePath)
    [ for group in doc.RootElement.EnumerateObject() do
          for v in group.Value.EnumerateArray() ->
              { Group = group.Name
                Value = expectedValue v
                Encodings = [ for m in v.GetProperty("msgpack").EnumerateArray() -> m.GetString() ] } ]

/// Numbers compare by value: the suite lists float encodings of integers too.
let rec private sameValue (expected: MsgValue) (actual: MsgValue) =
    let number v =
        match v with
        | Int i -> Some(float i, BigInteger i)
        | UInt u -> Some(float u, BigInteger u)
        | Float64 f -> Some(f, BigInteger.Zero)
        | Float32 f -> Some(float f, BigInteger.Zero)
        | _ -> None
    match expected, actual with
    | (Int _ | UInt _), (Int _ | UInt _) -> (number expected).Value = (number actual).Value
    | (Int _ | UInt _ | Float64 _ | Float32 _), (Int _ | UInt _ | Float64 _ | Float32 _) -> fst (number expected).Value = fst (number actual).Value
    | Arr xs, Arr ys -> xs.Length = ys.Length && List.forall2 sameValue xs ys
    | Map xs, Map ys -> xs.Length = ys.Length && List.forall2 (fun (a, b) (c, d) -> sameValue a c && sameValue b d) xs ys
    | _ -> expected = actual

let ``the suite is present and complete`` () =
    ignoreIfAbsent ()
    let all = vectors ()
    Assert.That(all |> List.map _.Group |> List.distinct |> List.length, Is.EqualTo 15)
    Assert.That(all.Length, Is.GreaterThanOrEqualTo 80)

let ``every listed encoding decodes to the value`` (v: Vector) =
    ignoreIfAbsent ()
    for encoding in v.Encodings do
        let bytes = unhex encoding
        for size in [ bytes.Length; 1 ] do
            let decoded = decodeValue (segmented size bytes)
            Assert.That(sameValue v.Value decoded, Is.True, $"{encoding} decoded to {decoded}")
        // The typed read methods agree with the dynamic decoding.
        let mutable r = MsgPackReader(ReadOnlyMemory bytes)
        match v.Value, r.NextType with
        | Int i, MsgPackType.Integer -> Assert.That(r.ReadInt64(), Is.EqualTo i, encoding)
        | UInt u, MsgPackType.Integer -> Assert.That(r.ReadUInt64(), Is.EqualTo u, encoding)
        | Int i, MsgPackType.Float -> Assert.That(r.ReadDouble(), Is.EqualTo(float i), encoding)
        | Float64 f, _ -> Assert.That(r.ReadDouble(), Is.EqualTo f, encoding)
        | Str s, _ -> Assert.That(r.ReadString(), Is.EqualTo s, encoding)
        | Bin b, _ -> assertBytes (r.ReadBytes().ToArray()) b
        | Timestamp(s, n), _ -> Assert.That(r.ReadTimestamp(), Is.EqualTo(MsgPackTimestamp(s, n)), encoding)
        | _ -> r.Skip()
        Assert.That(r.End, Is.True, encoding)

let ``our encoding of the value is a listed one, normally the first`` (v: Vector) =
    ignoreIfAbsent ()
    let ours = hex (encodeValue v.Value)
    let listed = v.Encodings |> List.map (fun e -> e.Replace("-", ""))
    Assert.That(listed, Does.Contain ours)
    // Floats are written as float64 (the second listed form); everything else is as short as the
    // first listed form (for 2^63-1 the suite lists int64 first, we write uint64 like msgpack-c).
    match v.Value with
    | Float64 _ -> ()
    | _ -> Assert.That(ours.Length, Is.EqualTo listed.Head.Length)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "MsgPackConformanceTests" [
        Register.test "the suite is present and complete" ``the suite is present and complete``
        yield! Register.casesFrom "every listed encoding decodes to the value" vectors ``every listed encoding decodes to the value``
        yield! Register.casesFrom "our encoding of the value is a listed one, normally the first" vectors ``our encoding of the value is a listed one, normally the first``
    ]
