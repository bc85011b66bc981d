/// FsCheck round-trip properties for every shape the typed codecs support (each decoded from
/// one buffer and from 3-byte segments), and random bytes against typed decoders.
module TractorNet.Tests.CodecProperties

open System
open System.Collections.Generic
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open FsCheck.NUnit
open TractorNet.Wire
open TractorNet.Tests.MsgPackTestSupport
open TractorNet.Tests.CodecTests

/// Deep enough for any generated recursive value.
let private roomy = MsgPackSerializer(MsgPackCodecResolver.Default, 10_000)

let private decodeBoth (x: 'T) : 'T * 'T =
    let bytes = roomy.SerializeToArray x
    roomy.Deserialize<'T> bytes, roomy.Deserialize<'T>(segmented 3 bytes)

/// Round trip with structural equality in which NaN equals NaN.
let private roundTrips (x: 'T) =
    let a, b = decodeBoth x
    LanguagePrimitives.GenericEqualityER a x && LanguagePrimitives.GenericEqualityER b x

/// Round trip of a collection compared as a sequence.
let private roundTripsAs (view: 'T -> 'V) (x: 'T) =
    let a, b = decodeBoth x
    view a = view x && view b = view x

/// Floats without NaN, for properties whose structural equality would see NaN <> NaN (NaN
/// itself is covered bit for bit by the float properties).
type NoNaN =
    static member Double() = ArbMap.defaults |> ArbMap.arbitrary<float> |> Arb.filter (Double.IsNaN >> not)
    static member Single() = ArbMap.defaults |> ArbMap.arbitrary<float32> |> Arb.filter (Single.IsNaN >> not)

type Rich =
    { I8: sbyte
      U64: uint64
      F32: float32
      F64: float
      Text: string
      Maybe: int option
      MaybeText: string option
      Nested: Shape list
      Pair: struct (int * string)
      Lookup: Map<string, int list> }

[<Property(MaxTest = 100)>]
let ``sbyte round trips`` (x: sbyte) = roundTrips x
[<Property(MaxTest = 100)>]
let ``byte round trips`` (x: byte) = roundTrips x
[<Property(MaxTest = 100)>]
let ``int16 round trips`` (x: int16) = roundTrips x
[<Property(MaxTest = 100)>]
let ``uint16 round trips`` (x: uint16) = roundTrips x
[<Property(MaxTest = 100)>]
let ``int32 round trips`` (x: int) = roundTrips x
[<Property(MaxTest = 100)>]
let ``uint32 round trips`` (x: uint32) = roundTrips x
[<Property(MaxTest = 100)>]
let ``int64 round trips`` (x: int64) = roundTrips x
[<Property(MaxTest = 100)>]
let ``uint64 round trips`` (x: uint64) = roundTrips x
[<Property(MaxTest = 100)>]
let ``int64 across the whole range round trips`` () =
    Prop.forAll (Arb.fromGen (Gen.choose64 (Int64.MinValue, Int64.MaxValue))) roundTrips
[<Property(MaxTest = 100)>]
let ``float32 round trips`` (x: float32) = roundTrips x
[<Property(MaxTest = 100)>]
let ``float round trips`` (x: float) =
    let a, b = decodeBoth x
    BitConverter.DoubleToInt64Bits a = BitConverter.DoubleToInt64Bits x && BitConverter.DoubleToInt64Bits b = BitConverter.DoubleToInt64Bits x
[<Property(MaxTest = 100)>]
let ``decimal round trips`` (x: decimal) = roundTrips x
[<Property(MaxTest = 100)>]
let ``bool round trips`` (x: bool) = roundTrips x
[<Property(MaxTest = 100)>]
let ``char round trips`` (x: char) = roundTrips x
[<Property(MaxTest = 100)>]
let ``string round trips`` (x: string) = roundTrips x
[<Property(MaxTest = 100)>]
let ``unicode string round trips`` (x: UnicodeString) =
    // A lone surrogate has no UTF-8 form and becomes U+FFFD; everything else is exact.
    let s = x.Get
    let valid = isNull s || not (Seq.exists Char.IsSurrogate s) || Text.Encoding.UTF8.GetString(Text.Encoding.UTF8.GetBytes s) = s
    not valid || roundTrips s
[<Property(MaxTest = 100)>]
let ``unit round trips`` (x: unit) = roundTrips x
[<Property(MaxTest = 100)>]
let ``byte array round trips`` (x: byte array) = roundTrips x
[<Property(MaxTest = 100)>]
let ``Guid round trips`` (x: Guid) = roundTrips x
[<Property(MaxTest = 100)>]
let ``DateTime round trips`` (x: DateTime) =
    let x = DateTime.SpecifyKind(x, DateTimeKind.Utc)
    let a, b = decodeBoth x
    a = x && b = x && a.Kind = DateTimeKind.Utc
[<Property(MaxTest = 100)>]
let ``DateTimeOffset round trips`` (x: DateTimeOffset) =
    let a, b = decodeBoth x
    a = x && b = x && a.Offset = x.Offset
[<Property(MaxTest = 100)>]
let ``TimeSpan round trips`` (x: TimeSpan) = roundTrips x
[<Property(MaxTest = 100)>]
let ``enum round trips`` (x: Color) = roundTrips x
[<Property(MaxTest = 100)>]
let ``record round trips`` (x: Job) = roundTrips x
[<Property(MaxTest = 100, Arbitrary = [| typeof<NoNaN> |])>]
let ``rich record round trips`` (x: Rich) = roundTrips x
[<Property(MaxTest = 100)>]
let ``struct record round trips`` (x: SPoint) = roundTrips x
[<Property(MaxTest = 100, Arbitrary = [| typeof<NoNaN> |])>]
let ``union round trips`` (x: Shape) = roundTrips x
[<Property(MaxTest = 100, Arbitrary = [| typeof<NoNaN> |])>]
let ``struct union round trips`` (x: SShape) = roundTrips x
[<Property(MaxTest = 100)>]
let ``recursive union round trips`` (x: Tree) = roundTrips x
[<Property(MaxTest = 100)>]
let ``recursive record round trips`` (head: int, rest: int list) =
    // FsCheck cannot derive a generator for a recursive record: build the chain from a list.
    let chain = List.foldBack (fun v next -> { Value = v; Next = Some next }) rest { Value = head; Next = None }
    roundTrips chain
[<Property(MaxTest = 100)>]
let ``Result round trips`` (x: Result<int, string>) = roundTrips x
[<Property(MaxTest = 100)>]
let ``Choice round trips`` (x: Choice<int, string, unit>) = roundTrips x
[<Property(MaxTest = 100)>]
let ``option round trips`` (x: int option) = roundTrips x
[<Property(MaxTest = 100)>]
let ``option of string round trips`` (x: string option) = roundTrips x
[<Property(MaxTest = 100)>]
let ``option of option round trips`` (x: int option option option) = roundTrips x
[<Property(MaxTest = 100)>]
let ``option of unit round trips`` (x: unit option) = roundTrips x
[<Property(MaxTest = 100)>]
let ``value option round trips`` (x: string voption voption) = roundTrips x
[<Property(MaxTest = 100)>]
let ``nullable round trips`` (x: Nullable<int>) = roundTrips x
[<Property(MaxTest = 100)>]
let ``list round trips`` (x: int list) = roundTrips x
[<Property(MaxTest = 100)>]
let ``array round trips`` (x: string array) = roundTrips x
[<Property(MaxTest = 100)>]
let ``ResizeArray round trips`` (x: int list) = roundTripsAs List.ofSeq (ResizeArray x)
[<Property(MaxTest = 100, Arbitrary = [| typeof<NoNaN> |])>]
let ``Map round trips`` (x: Map<string, float option>) = roundTrips x
[<Property(MaxTest = 100)>]
let ``Set round trips`` (x: Set<string>) = roundTrips x
[<Property(MaxTest = 100)>]
let ``Dictionary round trips`` (x: Map<int, string>) =
    let d = Dictionary<int, string>(x)
    roundTripsAs (fun (d: Dictionary<int, string>) -> d |> Seq.map (fun kv -> kv.Key, kv.Value) |> Microsoft.FSharp.Collections.Map.ofSeq) d
[<Property(MaxTest = 100)>]
let ``HashSet round trips`` (x: Set<int>) = roundTripsAs Microsoft.FSharp.Collections.Set.ofSeq (HashSet x)
[<Property(MaxTest = 100)>]
let ``tuple round trips`` (x: int * string * bool) = roundTrips x
[<Property(MaxTest = 100, Arbitrary = [| typeof<NoNaN> |])>]
let ``struct tuple round trips`` (x: struct (int * float * Shape)) = roundTrips x
[<Property(MaxTest = 100)>]
let ``long tuple round trips`` (x: int * int * int * int * int * int * int * string * byte) = roundTrips x
[<Property(MaxTest = 100)>]
let ``class through its constructor round trips`` (name: string, age: int) =
    roundTripsAs (fun (p: Person) -> p.Name, p.Age) (Person(name, age))
[<Property(MaxTest = 100)>]
let ``class through its setters round trips`` (host: string, port: int, tags: string list) =
    roundTripsAs (fun (s: Settings) -> s.Host, s.Port, List.ofSeq s.Tags) (Settings(Host = host, Port = port, Tags = ResizeArray tags))

/// Random bytes decoded as typed values: a value or a MsgPackDecodeException, nothing else.
let private attempt<'T> (bytes: byte array) =
    try
        MsgPack.deserialize<'T> bytes |> ignore
        true
    with :? MsgPackDecodeException ->
        true

[<Property(MaxTest = 300)>]
let ``random bytes against typed decoders fail cleanly`` (bytes: byte array) =
    attempt<Job> bytes && attempt<Shape> bytes && attempt<Tree> bytes && attempt<Settings> bytes
    && attempt<Map<string, int>> bytes && attempt<Guid> bytes && attempt<DateTimeOffset> bytes && attempt<Rich> bytes
    && attempt<int option option> bytes && attempt<Dictionary<string, int>> bytes && attempt<decimal> bytes
    && attempt<char> bytes
