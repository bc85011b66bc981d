/// FsCheck round-trip properties for every shape the typed codecs support (each decoded from
/// one buffer and from 3-byte segments), and random bytes against typed decoders.
module TractorNet.Tests.CodecProperties

open System
open System.Collections.Generic
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
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

let ``sbyte round trips`` (x: sbyte) = roundTrips x
let ``byte round trips`` (x: byte) = roundTrips x
let ``int16 round trips`` (x: int16) = roundTrips x
let ``uint16 round trips`` (x: uint16) = roundTrips x
let ``int32 round trips`` (x: int) = roundTrips x
let ``uint32 round trips`` (x: uint32) = roundTrips x
let ``int64 round trips`` (x: int64) = roundTrips x
let ``uint64 round trips`` (x: uint64) = roundTrips x
let ``int64 across the whole range round trips`` () =
    Prop.forAll (Arb.fromGen (Gen.choose64 (Int64.MinValue, Int64.MaxValue))) roundTrips
let ``float32 round trips`` (x: float32) = roundTrips x
let ``float round trips`` (x: float) =
    let a, b = decodeBoth x
    BitConverter.DoubleToInt64Bits a = BitConverter.DoubleToInt64Bits x && BitConverter.DoubleToInt64Bits b = BitConverter.DoubleToInt64Bits x
let ``decimal round trips`` (x: decimal) = roundTrips x
let ``bool round trips`` (x: bool) = roundTrips x
let ``char round trips`` (x: char) = roundTrips x
let ``string round trips`` (x: string) = roundTrips x
let ``unicode string round trips`` (x: UnicodeString) =
    // A lone surrogate has no UTF-8 form and becomes U+FFFD; everything else is exact.
    let s = x.Get
    let valid = isNull s || not (Seq.exists Char.IsSurrogate s) || Text.Encoding.UTF8.GetString(Text.Encoding.UTF8.GetBytes s) = s
    not valid || roundTrips s
let ``unit round trips`` (x: unit) = roundTrips x
let ``byte array round trips`` (x: byte array) = roundTrips x
let ``Guid round trips`` (x: Guid) = roundTrips x
let ``DateTime round trips`` (x: DateTime) =
    let x = DateTime.SpecifyKind(x, DateTimeKind.Utc)
    let a, b = decodeBoth x
    a = x && b = x && a.Kind = DateTimeKind.Utc
let ``DateTimeOffset round trips`` (x: DateTimeOffset) =
    let a, b = decodeBoth x
    a = x && b = x && a.Offset = x.Offset
let ``TimeSpan round trips`` (x: TimeSpan) = roundTrips x
let ``enum round trips`` (x: Color) = roundTrips x
let ``record round trips`` (x: Job) = roundTrips x
let ``rich record round trips`` (x: Rich) = roundTrips x
let ``struct record round trips`` (x: SPoint) = roundTrips x
let ``union round trips`` (x: Shape) = roundTrips x
let ``struct union round trips`` (x: SShape) = roundTrips x
let ``recursive union round trips`` (x: Tree) = roundTrips x
let ``recursive record round trips`` (head: int, rest: int list) =
    // FsCheck cannot derive a generator for a recursive record: build the chain from a list.
    let chain = List.foldBack (fun v next -> { Value = v; Next = Some next }) rest { Value = head; Next = None }
    roundTrips chain
let ``Result round trips`` (x: Result<int, string>) = roundTrips x
let ``Choice round trips`` (x: Choice<int, string, unit>) = roundTrips x
let ``option round trips`` (x: int option) = roundTrips x
let ``option of string round trips`` (x: string option) = roundTrips x
let ``option of option round trips`` (x: int option option option) = roundTrips x
let ``option of unit round trips`` (x: unit option) = roundTrips x
let ``value option round trips`` (x: string voption voption) = roundTrips x
let ``nullable round trips`` (x: Nullable<int>) = roundTrips x
let ``list round trips`` (x: int list) = roundTrips x
let ``array round trips`` (x: string array) = roundTrips x
let ``ResizeArray round trips`` (x: int list) = roundTripsAs List.ofSeq (ResizeArray x)
let ``Map round trips`` (x: Map<string, float option>) = roundTrips x
let ``Set round trips`` (x: Set<string>) = roundTrips x
let ``Dictionary round trips`` (x: Map<int, string>) =
    let d = Dictionary<int, string>(x)
    roundTripsAs (fun (d: Dictionary<int, string>) -> d |> Seq.map (fun kv -> kv.Key, kv.Value) |> Microsoft.FSharp.Collections.Map.ofSeq) d
let ``HashSet round trips`` (x: Set<int>) = roundTripsAs Microsoft.FSharp.Collections.Set.ofSeq (HashSet x)
let ``tuple round trips`` (x: int * string * bool) = roundTrips x
let ``struct tuple round trips`` (x: struct (int * float * Shape)) = roundTrips x
let ``long tuple round trips`` (x: int * int * int * int * int * int * int * string * byte) = roundTrips x
let ``class through its constructor round trips`` (name: string, age: int) =
    roundTripsAs (fun (p: Person) -> p.Name, p.Age) (Person(name, age))
let ``class through its setters round trips`` (host: string, port: int, tags: string list) =
    roundTripsAs (fun (s: Settings) -> s.Host, s.Port, List.ofSeq s.Tags) (Settings(Host = host, Port = port, Tags = ResizeArray tags))

/// Random bytes decoded as typed values: a value or a MsgPackDecodeException, nothing else.
let private attempt<'T> (bytes: byte array) =
    try
        MsgPack.deserialize<'T> bytes |> ignore
        true
    with :? MsgPackDecodeException ->
        true

let ``random bytes against typed decoders fail cleanly`` (bytes: byte array) =
    attempt<Job> bytes && attempt<Shape> bytes && attempt<Tree> bytes && attempt<Settings> bytes
    && attempt<Map<string, int>> bytes && attempt<Guid> bytes && attempt<DateTimeOffset> bytes && attempt<Rich> bytes
    && attempt<int option option> bytes && attempt<Dictionary<string, int>> bytes && attempt<decimal> bytes
    && attempt<char> bytes

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "CodecProperties" [
        Register.property 100 [] "sbyte round trips" ``sbyte round trips``
        Register.property 100 [] "byte round trips" ``byte round trips``
        Register.property 100 [] "int16 round trips" ``int16 round trips``
        Register.property 100 [] "uint16 round trips" ``uint16 round trips``
        Register.property 100 [] "int32 round trips" ``int32 round trips``
        Register.property 100 [] "uint32 round trips" ``uint32 round trips``
        Register.property 100 [] "int64 round trips" ``int64 round trips``
        Register.property 100 [] "uint64 round trips" ``uint64 round trips``
        Register.property 100 [] "int64 across the whole range round trips" ``int64 across the whole range round trips``
        Register.property 100 [] "float32 round trips" ``float32 round trips``
        Register.property 100 [] "float round trips" ``float round trips``
        Register.property 100 [] "decimal round trips" ``decimal round trips``
        Register.property 100 [] "bool round trips" ``bool round trips``
        Register.property 100 [] "char round trips" ``char round trips``
        Register.property 100 [] "string round trips" ``string round trips``
        Register.property 100 [] "unicode string round trips" ``unicode string round trips``
        Register.property 100 [] "unit round trips" ``unit round trips``
        Register.property 100 [] "byte array round trips" ``byte array round trips``
        Register.property 100 [] "Guid round trips" ``Guid round trips``
        Register.property 100 [] "DateTime round trips" ``DateTime round trips``
        Register.property 100 [] "DateTimeOffset round trips" ``DateTimeOffset round trips``
        Register.property 100 [] "TimeSpan round trips" ``TimeSpan round trips``
        Register.property 100 [] "enum round trips" ``enum round trips``
        Register.property 100 [] "record round trips" ``record round trips``
        Register.property 100 [ typeof<NoNaN> ] "rich record round trips" ``rich record round trips``
        Register.property 100 [] "struct record round trips" ``struct record round trips``
        Register.property 100 [ typeof<NoNaN> ] "union round trips" ``union round trips``
        Register.property 100 [ typeof<NoNaN> ] "struct union round trips" ``struct union round trips``
        Register.property 100 [] "recursive union round trips" ``recursive union round trips``
        Register.property 100 [] "recursive record round trips" ``recursive record round trips``
        Register.property 100 [] "Result round trips" ``Result round trips``
        Register.property 100 [] "Choice round trips" ``Choice round trips``
        Register.property 100 [] "option round trips" ``option round trips``
        Register.property 100 [] "option of string round trips" ``option of string round trips``
        Register.property 100 [] "option of option round trips" ``option of option round trips``
        Register.property 100 [] "option of unit round trips" ``option of unit round trips``
        Register.property 100 [] "value option round trips" ``value option round trips``
        Register.property 100 [] "nullable round trips" ``nullable round trips``
        Register.property 100 [] "list round trips" ``list round trips``
        Register.property 100 [] "array round trips" ``array round trips``
        Register.property 100 [] "ResizeArray round trips" ``ResizeArray round trips``
        Register.property 100 [ typeof<NoNaN> ] "Map round trips" ``Map round trips``
        Register.property 100 [] "Set round trips" ``Set round trips``
        Register.property 100 [] "Dictionary round trips" ``Dictionary round trips``
        Register.property 100 [] "HashSet round trips" ``HashSet round trips``
        Register.property 100 [] "tuple round trips" ``tuple round trips``
        Register.property 100 [ typeof<NoNaN> ] "struct tuple round trips" ``struct tuple round trips``
        Register.property 100 [] "long tuple round trips" ``long tuple round trips``
        Register.property 100 [] "class through its constructor round trips" ``class through its constructor round trips``
        Register.property 100 [] "class through its setters round trips" ``class through its setters round trips``
        Register.property 300 [] "random bytes against typed decoders fail cleanly" ``random bytes against typed decoders fail cleanly``
    ]
