/// The typed codecs: the documented encodings, recursive types, custom codecs, the
/// `IWireSerializer` API, and build-time errors for types that cannot be serialised.
module TractorNet.Tests.CodecTests

open System
open System.Buffers
open System.Collections.Generic
open NUnit.Framework
open TractorNet.Wire
open TractorNet.Tests.MsgPackTestSupport

type Job = { Name: string; Priority: int; Tags: string list }

type Shape =
    | Circle of radius: float
    | Rect of w: float * h: float
    | Empty

type Tree =
    | Leaf of int
    | Node of Tree * Tree

type Chain = { Value: int; Next: Chain option }

type Color =
    | Red = 0
    | Green = 1
    | Blue = 7

[<Struct>]
type SPoint = { X: int; Y: int }

[<Struct>]
type SShape =
    | SCircle of r: float
    | SSquare of side: int
    | SNone

type WithCallback = { Callback: int -> unit; Label: string }
type Order = { Id: int; Jobs: WithCallback list }
type Config = { Handlers: Map<string, Action<int>> }
type Holder = { Anything: obj }
type Pluggable = { Service: IDisposable }

type private Hidden = private { Secret: int; Other: string }

/// An F# class restored through its constructor.
type Person(name: string, age: int) =
    member _.Name = name
    member _.Age = age

/// A class restored through its setters; Computed is not written.
type Settings() =
    member val Host = "localhost" with get, set
    member val Port = 80 with get, set
    member val Tags: ResizeArray<string> = null with get, set
    member this.Computed = $"{this.Host}:{this.Port}"

/// A class with a cycle.
[<AllowNullLiteral>]
type Linked() =
    member val Value = 0 with get, set
    member val Next: Linked = null with get, set

/// Money as "12.50 EUR": a custom codec.
type Money = { Amount: decimal; Currency: string }

type MoneyCodec() =
    inherit MsgPackCodec<Money>()
    override _.CanWriteNil = false
    override _.Write(w, m) = w.WriteString(m.Amount.ToString(Globalization.CultureInfo.InvariantCulture) + " " + m.Currency)

    override _.Read(r) =
        let parts = r.ReadString().Split(' ')
        { Amount = Decimal.Parse(parts[0], Globalization.CultureInfo.InvariantCulture); Currency = parts[1] }

type Invoice = { Total: Money; Lines: Money list }

let private serializer () = MsgPackSerializer(MsgPackCodecResolver())
let private bytes (x: 'T) = MsgPack.serialize x
let private roundTrip (x: 'T) : 'T = MsgPack.deserialize<'T> (MsgPack.serialize x)
let private decodes (x: 'T) = decodeValue (ReadOnlySequence(bytes x))

let ``a record is an array of its fields in declaration order`` () =
    let job = { Name = "build"; Priority = 3; Tags = [ "a"; "b" ] }
    Assert.That(decodes job, Is.EqualTo(Arr [ Str "build"; Int 3; Arr [ Str "a"; Str "b" ] ]))
    Assert.That(roundTrip job, Is.EqualTo job)
    Assert.That(roundTrip { X = -1; Y = 2 }, Is.EqualTo { X = -1; Y = 2 })

let ``a union case is its tag, or [tag, fields...] when it has fields`` () =
    Assert.That(decodes Empty, Is.EqualTo(Int 2))
    Assert.That(decodes (Circle 1.5), Is.EqualTo(Arr [ Int 0; Float64 1.5 ]))
    Assert.That(decodes (Rect(2.0, 3.0)), Is.EqualTo(Arr [ Int 1; Float64 2.0; Float64 3.0 ]))
    for s in [ Circle 1.5; Rect(2.0, 3.0); Empty ] do
        Assert.That(roundTrip s, Is.EqualTo s)
    for s in [ SCircle 1.0; SSquare 4; SNone ] do
        Assert.That(roundTrip s, Is.EqualTo s)
    Assert.That(decodes (Ok 5: Result<int, string>), Is.EqualTo(Arr [ Int 0; Int 5 ]))
    Assert.That(decodes (Error "bad": Result<int, string>), Is.EqualTo(Arr [ Int 1; Str "bad" ]))
    // A fieldless case also reads from [tag].
    Assert.That(MsgPack.deserialize<Shape> (encodeValue (Arr [ Int 2 ])), Is.EqualTo Empty)

let ``options are nil or the value, wrapped in [x] only when the value could be nil`` () =
    Assert.That(decodes (None: int option), Is.EqualTo Nil)
    Assert.That(decodes (Some 5), Is.EqualTo(Int 5))
    Assert.That(decodes (Some(Some 5)), Is.EqualTo(Arr [ Int 5 ]))
    Assert.That(decodes (Some(None: int option)), Is.EqualTo(Arr [ Nil ]))
    Assert.That(decodes (Some "x"), Is.EqualTo(Arr [ Str "x" ]))
    Assert.That(decodes (Some(null: string)), Is.EqualTo(Arr [ Nil ]))
    Assert.That(decodes (Some { X = 1; Y = 2 }), Is.EqualTo(Arr [ Int 1; Int 2 ]))
    Assert.That(decodes (ValueSome 5), Is.EqualTo(Int 5))
    Assert.That(decodes (Nullable 5), Is.EqualTo(Int 5))
    Assert.That(decodes (Nullable<int>()), Is.EqualTo Nil)
    for v in [ None; Some None; Some(Some None); Some(Some(Some 1)) ] do
        Assert.That(roundTrip v, Is.EqualTo v)
    for v in [ None; Some null; Some "" ] do
        Assert.That(roundTrip v, Is.EqualTo v)
    Assert.That(roundTrip (Some()), Is.EqualTo(Some()))
    Assert.That(roundTrip (ValueSome(ValueNone: int voption)), Is.EqualTo(ValueSome(ValueNone: int voption)))

let ``primitives and standard types have the documented encodings`` () =
    Assert.That(decodes (), Is.EqualTo Nil)
    Assert.That(decodes 'A', Is.EqualTo(Int 65))
    Assert.That(decodes 12.5m, Is.EqualTo(Str "12.5"))
    Assert.That(decodes [| 1uy; 2uy |], Is.EqualTo(Bin [| 1uy; 2uy |]))
    Assert.That(decodes (Guid.Parse "00112233-4455-6677-8899-aabbccddeeff"), Is.EqualTo(Bin(unhex "00112233445566778899aabbccddeeff")))
    Assert.That(decodes (TimeSpan.FromSeconds 1.0), Is.EqualTo(Int 10_000_000L))
    Assert.That(decodes DateTime.UnixEpoch, Is.EqualTo(Timestamp(0L, 0u)))
    let dto = DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours 2.0)
    Assert.That(decodes dto, Is.EqualTo(Arr [ Timestamp(dto.ToUnixTimeSeconds(), 0u); Int 120 ]))
    Assert.That(roundTrip dto, Is.EqualTo dto)
    Assert.That((roundTrip dto).Offset, Is.EqualTo dto.Offset)
    Assert.That(decodes Color.Blue, Is.EqualTo(Int 7))
    Assert.That(roundTrip Color.Blue, Is.EqualTo Color.Blue)
    Assert.That(decodes (1, "a", true), Is.EqualTo(Arr [ Int 1; Str "a"; Bool true ]))
    Assert.That(decodes (struct (1, "a")), Is.EqualTo(Arr [ Int 1; Str "a" ]))
    Assert.That(decodes (Map.ofList [ "b", 2; "a", 1 ]), Is.EqualTo(Map [ Str "a", Int 1; Str "b", Int 2 ]))
    Assert.That(decodes (set [ 3; 1 ]), Is.EqualTo(Arr [ Int 1; Int 3 ]))
    Assert.That(decodes [| 1; 2 |], Is.EqualTo(Arr [ Int 1; Int 2 ]))
    Assert.That(decodes (null: int array), Is.EqualTo Nil)
    Assert.That(decodes (null: string), Is.EqualTo Nil)

let ``long tuples are flat arrays`` () =
    let t = (1, 2, 3, 4, 5, 6, 7, 8, "nine")
    Assert.That(decodes t, Is.EqualTo(Arr [ Int 1; Int 2; Int 3; Int 4; Int 5; Int 6; Int 7; Int 8; Str "nine" ]))
    Assert.That(roundTrip t, Is.EqualTo t)
    let s = struct (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, "16")
    Assert.That(roundTrip s, Is.EqualTo s)

let ``collections round trip`` () =
    let d = Dictionary<string, int list>()
    d["a"] <- [ 1 ]
    d["b"] <- []
    let d' = roundTrip d
    Assert.That(d'.Count, Is.EqualTo 2)
    Assert.That(d'["a"], Is.EqualTo(box [ 1 ]))
    let h = HashSet [ 1; 5; 9 ]
    Assert.That((roundTrip h).SetEquals h, Is.True)
    let ra = ResizeArray [ "x"; null; "z" ]
    Assert.That(List.ofSeq (roundTrip ra), Is.EqualTo(box (List.ofSeq ra)))
    Assert.That(roundTrip (Map.ofList [ 1, Some "a"; 2, None ]), Is.EqualTo(box (Map.ofList [ 1, Some "a"; 2, None ])))

let ``recursive types round trip`` () =
    let rec build n = if n = 0 then Leaf 0 else Node(build (n - 1), Leaf n)
    let tree = build 20
    Assert.That(roundTrip tree, Is.EqualTo tree)
    let chain = { Value = 1; Next = Some { Value = 2; Next = Some { Value = 3; Next = None } } }
    Assert.That(decodes chain, Is.EqualTo(Arr [ Int 1; Arr [ Int 2; Arr [ Int 3; Nil ] ] ]))
    Assert.That(roundTrip chain, Is.EqualTo chain)
    let linked = Linked(Value = 1, Next = Linked(Value = 2))
    let back = roundTrip linked
    Assert.That((back.Value, back.Next.Value, back.Next.Next), Is.EqualTo((1, 2, (null: Linked))))

let ``nesting beyond the limit fails cleanly both ways`` () =
    let rec build n = if n = 0 then Leaf 0 else Node(build (n - 1), Leaf n)
    let deep = build 100
    let e = Assert.Throws<MsgPackEncodeException>(fun () -> MsgPack.serialize deep |> ignore)
    Assert.That(e.Message, Does.Contain "nesting deeper than 64 levels")
    let roomy = MsgPackSerializer(MsgPackCodecResolver(), 1000)
    let encoded = roomy.SerializeToArray deep
    Assert.That(roomy.Deserialize<Tree> encoded, Is.EqualTo deep)
    let e = Assert.Throws<MsgPackDecodeException>(fun () -> MsgPack.deserialize<Tree> encoded |> ignore)
    Assert.That(e.Message, Does.Contain "nesting deeper than 64 levels")
    // A cyclic object graph is an error, not a stack overflow.
    let a = Linked(Value = 1)
    a.Next <- a
    Assert.Throws<MsgPackEncodeException>(fun () -> MsgPack.serialize a |> ignore) |> ignore

let ``plain classes are maps of their restorable members`` () =
    let p = Person("bob", 42)
    Assert.That(decodes p, Is.EqualTo(Map [ Str "Name", Str "bob"; Str "Age", Int 42 ]))
    let p' = roundTrip p
    Assert.That((p'.Name, p'.Age), Is.EqualTo(("bob", 42)))
    let s = Settings(Host = "h", Port = 8080, Tags = ResizeArray [ "t" ])
    Assert.That(decodes s, Is.EqualTo(Map [ Str "Host", Str "h"; Str "Port", Int 8080; Str "Tags", Arr [ Str "t" ] ]))
    let s' = roundTrip s
    Assert.That((s'.Host, s'.Port, List.ofSeq s'.Tags), Is.EqualTo(("h", 8080, [ "t" ])))
    // Unknown keys are skipped; missing ones keep the constructor's values.
    let partial = encodeValue (Map [ Str "Port", Int 1; Str "Unknown", Arr [ Int 1; Map [] ] ])
    let s'' = MsgPack.deserialize<Settings> partial
    Assert.That((s''.Host, s''.Port), Is.EqualTo(("localhost", 1)))
    Assert.That(roundTrip Unchecked.defaultof<Settings>, Is.Null)

let ``private F# types work`` () =
    let h = { Secret = 7; Other = "x" }
    Assert.That(roundTrip h, Is.EqualTo h)

let ``records accept extra trailing fields and reject missing ones`` () =
    let newer = encodeValue (Arr [ Str "n"; Int 1; Arr []; Str "added later"; Map [ Int 1, Int 2 ] ])
    Assert.That(MsgPack.deserialize<Job> newer, Is.EqualTo { Name = "n"; Priority = 1; Tags = [] })
    let older = encodeValue (Arr [ Str "n"; Int 1 ])
    let e = Assert.Throws<MsgPackDecodeException>(fun () -> MsgPack.deserialize<Job> older |> ignore)
    Assert.That(e.Message, Is.EqualTo "record `Job` has 3 fields, found an array of 2 at offset 0")

let ``bad union tags are decode errors`` () =
    let e = Assert.Throws<MsgPackDecodeException>(fun () -> MsgPack.deserialize<Shape> (encodeValue (Int 9)) |> ignore)
    Assert.That(e.Message, Is.EqualTo "unknown tag 9 for union `Shape` (3 cases) at offset 0")
    let e = Assert.Throws<MsgPackDecodeException>(fun () -> MsgPack.deserialize<Shape> (encodeValue (Int 0)) |> ignore)
    Assert.That(e.Message, Does.Contain "union case `Shape.Circle` has fields")
    let e = Assert.Throws<MsgPackDecodeException>(fun () -> MsgPack.deserialize<Shape> (encodeValue (Arr [ Int 1; Float64 1.0 ])) |> ignore)
    Assert.That(e.Message, Is.EqualTo "union case `Shape.Rect` has 2 fields, found 1 at offset 0")
    let e = Assert.Throws<MsgPackDecodeException>(fun () -> MsgPack.deserialize<Shape> (encodeValue (Str "Circle")) |> ignore)
    Assert.That(e.Message, Is.EqualTo "expected array, found str at offset 0")

let ``null F# values and trailing bytes are errors`` () =
    let e = Assert.Throws<MsgPackEncodeException>(fun () -> MsgPack.serialize (Unchecked.defaultof<Job>) |> ignore)
    Assert.That(e.Message, Does.Contain "null is not a valid value of `Job`")
    let e = Assert.Throws<MsgPackDecodeException>(fun () -> MsgPack.deserialize<int> (unhex "0102") |> ignore)
    Assert.That(e.Message, Is.EqualTo "1 bytes left over after the value at offset 1")

let private fails<'T> () =
    let e = Assert.Throws<UnserializableTypeException>(fun () -> serializer().Validate typeof<'T>)
    e.Message

let ``unserialisable types fail when the codec is built, naming the member path`` () =
    Assert.That(fails<WithCallback> (), Is.EqualTo "cannot serialise field `Callback` of record `WithCallback`: function types are not serialisable (path: WithCallback.Callback)")
    Assert.That(fails<Order> (), Is.EqualTo "cannot serialise field `Callback` of record `WithCallback`: function types are not serialisable (path: Order.Jobs[].Callback)")
    Assert.That(fails<Config> (), Is.EqualTo "cannot serialise field `Handlers` of record `Config`: delegates are not serialisable (path: Config.Handlers[])")
    Assert.That(fails<Holder> (), Does.StartWith "cannot serialise field `Anything` of record `Holder`: `obj` is not serialisable")
    Assert.That(fails<Pluggable> (), Does.StartWith "cannot serialise field `Service` of record `Pluggable`: interfaces are not serialisable")
    Assert.That(fails<int -> int> (), Is.EqualTo "cannot serialise type `int -> int`: function types are not serialisable")
    Assert.That(fails<IO.Stream> (), Does.Contain "abstract classes are not serialisable")
    Assert.That(fails<Threading.Tasks.Task<int>> (), Does.Contain "tasks and cancellation tokens are not serialisable")
    Assert.That(fails<int[,]> (), Does.Contain "multi-dimensional arrays")
    Assert.That(fails<(int -> int) option list> (), Is.EqualTo "cannot serialise type `int -> int`: function types are not serialisable (path: (int -> int) option list[])")
    Assert.That(fails<Threading.Thread> (), Does.Contain "cannot serialise type `Thread`")
    let e = Assert.Throws<UnserializableTypeException>(fun () -> serializer().Validate typeof<Order>)
    Assert.That(e.OffendingType, Is.EqualTo typeof<int -> unit>)
    Assert.That(e.MemberPath, Is.EqualTo "Order.Jobs[].Callback")
    Assert.That(e.Reason, Is.EqualTo "function types are not serialisable")
    // A closure's own class is a function type too.
    let f = let k = 3 in fun x -> x + k
    Assert.That((Assert.Throws<UnserializableTypeException>(fun () -> serializer().Validate(f.GetType()))).Reason, Is.EqualTo "function types are not serialisable")

let ``a failed build leaves nothing half-built behind`` () =
    let s = serializer ()
    Assert.Throws<UnserializableTypeException>(fun () -> s.Validate typeof<Order>) |> ignore
    Assert.Throws<UnserializableTypeException>(fun () -> s.Validate typeof<Order>) |> ignore
    // WithCallback's sibling types built during the failed attempt still work.
    Assert.That(s.Deserialize<Job>(s.SerializeToArray { Name = "x"; Priority = 1; Tags = [] }).Name, Is.EqualTo "x")

let ``custom codecs replace the built-in encoding, also inside other types`` () =
    let s = serializer ()
    s.Resolver.Register(MoneyCodec())
    let invoice = { Total = { Amount = 12.5m; Currency = "EUR" }; Lines = [ { Amount = 1m; Currency = "USD" } ] }
    let bytes = s.SerializeToArray invoice
    Assert.That(decodeValue (ReadOnlySequence bytes), Is.EqualTo(Arr [ Str "12.5 EUR"; Arr [ Str "1 USD" ] ]))
    Assert.That(s.Deserialize<Invoice> bytes, Is.EqualTo invoice)
    // The default serializer is untouched.
    Assert.That(decodes invoice.Total, Is.EqualTo(Arr [ Str "12.5"; Str "EUR" ]))

let ``factories can serve whole families of types, e.g. obj as a string`` () =
    let s = serializer ()
    s.Resolver.AddFactory(fun t _ ->
        if t = typeof<obj> then
            { new MsgPackCodec<obj>() with
                member _.Write(w, v) = w.WriteString(string v)
                member _.Read(r) = box (r.ReadString()) }
        else
            null)
    let back = s.Deserialize<Holder>(s.SerializeToArray { Anything = box 42 })
    Assert.That(back.Anything, Is.EqualTo "42")

let ``registering a codec of the wrong type is refused`` () =
    let s = serializer ()
    let e = Assert.Throws<ArgumentException>(fun () -> s.Resolver.AddFactory(fun _ _ -> MoneyCodec()); s.Validate typeof<Job>)
    Assert.That(e.Message, Does.Contain "must derive from MsgPackCodec<Job>")

let ``the Type-based API and the IWireSerializer interface`` () =
    let s = serializer () :> IWireSerializer
    let buffer = ArrayBufferWriter<byte>()
    let job = { Name = "j"; Priority = 2; Tags = [] }
    s.Serialize(buffer, typeof<Job>, box job)
    Assert.That(s.Deserialize(ReadOnlySequence buffer.WrittenMemory, typeof<Job>), Is.EqualTo job)
    let buffer = ArrayBufferWriter<byte>()
    s.Serialize(buffer, Some 3)
    Assert.That(s.Deserialize<int option>(ReadOnlySequence buffer.WrittenMemory), Is.EqualTo(Some 3))
    Assert.Throws<ArgumentNullException>(fun () -> s.Serialize(ArrayBufferWriter<byte>(), typeof<int>, null)) |> ignore
    Assert.Throws<UnserializableTypeException>(fun () -> s.Validate typeof<WithCallback>) |> ignore

let ``values read from multi-segment input`` () =
    let job = { Name = String('j', 100); Priority = 70000; Tags = [ "x"; "ÿ€" ] }
    let bytes = bytes job
    Assert.That(MsgPackSerializer.Default.Deserialize<Job>(segmented 1 bytes), Is.EqualTo job)
    let g = Guid.NewGuid()
    Assert.That(MsgPackSerializer.Default.Deserialize<Guid>(segmented 3 (MsgPack.serialize g)), Is.EqualTo g)

let ``the codec path does not allocate beyond the value`` () =
    let codec = MsgPackCodecResolver.Default.GetCodec<SPoint>()
    let buffer = ArrayBufferWriter<byte>(1024)
    let input = MsgPack.serialize { X = 1; Y = 2 }
    let run () =
        buffer.ResetWrittenCount()
        let mutable w = MsgPackWriter(buffer)
        codec.Write(&w, { X = 1; Y = 2 })
        w.Flush()
        let mutable r = MsgPackReader(ReadOnlyMemory input)
        codec.Read(&r) |> ignore
    for _ in 1..100 do
        run ()
    let before = GC.GetAllocatedBytesForCurrentThread()
    for _ in 1..1000 do
        run ()
    Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan 1000L)

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "CodecTests" [
        Register.test "a record is an array of its fields in declaration order" ``a record is an array of its fields in declaration order``
        Register.test "a union case is its tag, or [tag, fields...] when it has fields" ``a union case is its tag, or [tag, fields...] when it has fields``
        Register.test "options are nil or the value, wrapped in [x] only when the value could be nil" ``options are nil or the value, wrapped in [x] only when the value could be nil``
        Register.test "primitives and standard types have the documented encodings" ``primitives and standard types have the documented encodings``
        Register.test "long tuples are flat arrays" ``long tuples are flat arrays``
        Register.test "collections round trip" ``collections round trip``
        Register.test "recursive types round trip" ``recursive types round trip``
        Register.test "nesting beyond the limit fails cleanly both ways" ``nesting beyond the limit fails cleanly both ways``
        Register.test "plain classes are maps of their restorable members" ``plain classes are maps of their restorable members``
        Register.test "private F# types work" ``private F# types work``
        Register.test "records accept extra trailing fields and reject missing ones" ``records accept extra trailing fields and reject missing ones``
        Register.test "bad union tags are decode errors" ``bad union tags are decode errors``
        Register.test "null F# values and trailing bytes are errors" ``null F# values and trailing bytes are errors``
        Register.test "unserialisable types fail when the codec is built, naming the member path" ``unserialisable types fail when the codec is built, naming the member path``
        Register.test "a failed build leaves nothing half-built behind" ``a failed build leaves nothing half-built behind``
        Register.test "custom codecs replace the built-in encoding, also inside other types" ``custom codecs replace the built-in encoding, also inside other types``
        Register.test "factories can serve whole families of types, e.g. obj as a string" ``factories can serve whole families of types, e.g. obj as a string``
        Register.test "registering a codec of the wrong type is refused" ``registering a codec of the wrong type is refused``
        Register.test "the Type-based API and the IWireSerializer interface" ``the Type-based API and the IWireSerializer interface``
        Register.test "values read from multi-segment input" ``values read from multi-segment input``
        Register.test "the codec path does not allocate beyond the value" ``the codec path does not allocate beyond the value``
    ]
