/// The hand-written protocol envelope codec (`MessageCodec`) against the reflection-built codec it
/// replaces on the wire: the same bytes for every message, round trips of every case, and the same
/// answers to bad input.
module TractorNet.Tests.MessageCodecTests

open System
open System.Buffers
open Microsoft.FSharp.Reflection
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open TractorNet
open TractorNet.Runtime
open TractorNet.Wire
open TractorNet.Tests.MsgPackTestSupport

/// A resolver of its own, so the envelope's codec is built by reflection as before.
let private reference = MsgPackSerializer(MsgPackCodecResolver())

let private handBytes (m: Message) =
    let w = ArrayBufferWriter<byte>()
    MessageCodec.serialize w m
    w.WrittenSpan.ToArray()

let private handRead (bytes: byte[]) = MessageCodec.deserialize (ReadOnlySequence bytes)

let private actor name = { Name = name; Uid = $"uid-{name}" }

let private error =
    { Source = actor "a"
      TypeName = "System.Exception"
      Message = "boom"
      StackTrace = "at x"
      RelayPath = [ actor "b"; actor "c" ]
      Inner =
        [ { Source = actor "d"
            TypeName = "T"
            Message = null
            StackTrace = ""
            RelayPath = []
            Inner = [] } ] }

let private fref =
    { Assembly = "Asm"
      DeclaringType = "Ns.Module"
      Method = "f"
      GenericArguments = [ "System.Int32, System.Private.CoreLib" ]
      ParameterTypes = [ "System.Int32"; "System.String" ] }

/// One message of every case (with every `CallKind`).
let private samples: Message list =
    [ Spawn
          { Actor = actor "child"
            Parent = actor "root"
            EnabledModules = [ "A"; "B.C" ]
            LogLevel = 3
            GracefulMs = 2000
            TerminateMs = 1000
            LogToParent = true
            DebugMode = true }
      Ready
      Start(1L, fref, [ [| 1uy |]; [||]; null ], Unary, null)
      Start(Int64.MaxValue, fref, [], Context(16, 1), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
      Start(-5L, fref, [ Array.create 300 7uy ], Stream(64, 0), null)
      Return(2L, [| 0xc0uy |])
      Error(3L, error)
      CancelCall 4L
      CancelActor
      CancelActorAck
      Started(5L, [| 1uy; 2uy |])
      Yield(-6L, [| 9uy |])
      Stop 7L
      Credit(-8L, Int32.MaxValue)
      StreamClosed 9L
      Overrun -10L
      Cancelled(11L, actor "canceller", "why")
      LogRecords([ { Ticks = 638_000_000_000_000_000L; Level = LogLevel.Warning; Category = "TractorNet.Runtime"; Actor = "child"; Uid = "0af7"; Pid = 42; Message = "hello" } ], 3L)
      LogRecords([], 0L)
      Debug("uid-1", [| 1uy; 2uy |])
      Yields(-12L, [ [| 1uy |]; [||]; Array.create 300 7uy ])
      Yields(13L, []) ]

let private tagOf (m: Message) =
    (FSharpValue.GetUnionFields(m, typeof<Message>, true) |> fst).Tag

let ``the samples cover every Message case`` () =
    let cases = FSharpType.GetUnionCases(typeof<Message>, true) |> Array.map _.Tag |> Set.ofArray
    Assert.That(samples |> List.map tagOf |> Set.ofList, Is.EqualTo(box cases))

let ``case tags are the declaration indexes`` () =
    let byName = FSharpType.GetUnionCases(typeof<Message>, true) |> Array.map (fun c -> c.Name, c.Tag) |> Map.ofArray
    let expected =
        [ "Spawn", MessageCodec.SpawnTag; "Ready", MessageCodec.ReadyTag; "Start", MessageCodec.StartTag
          "Return", MessageCodec.ReturnTag; "Error", MessageCodec.ErrorTag; "CancelCall", MessageCodec.CancelCallTag
          "CancelActor", MessageCodec.CancelActorTag; "CancelActorAck", MessageCodec.CancelActorAckTag
          "Started", MessageCodec.StartedTag; "Yield", MessageCodec.YieldTag; "Stop", MessageCodec.StopTag
          "Credit", MessageCodec.CreditTag; "StreamClosed", MessageCodec.StreamClosedTag
          "Overrun", MessageCodec.OverrunTag; "Cancelled", MessageCodec.CancelledTag
          "LogRecords", MessageCodec.LogRecordsTag; "Debug", MessageCodec.DebugTag; "Yields", MessageCodec.YieldsTag ]
    Assert.That(expected.Length, Is.EqualTo byName.Count)
    for name, tag in expected do
        Assert.That(tag, Is.EqualTo byName[name], name)

let ``every case encodes as the reflection-built codec does and round-trips`` () =
    for m in samples do
        let bytes = handBytes m
        Assert.That(bytes, Is.EqualTo(box (reference.SerializeToArray m)), $"{m}")
        let back = handRead bytes
        Assert.That(back, Is.EqualTo m, $"{m}")
        Assert.That(handBytes back, Is.EqualTo(box bytes), $"{m}")
        Assert.That(MessageCodec.deserialize (segmented 3 bytes), Is.EqualTo m, $"{m} (segmented)")
        Assert.That(reference.Deserialize<Message> bytes, Is.EqualTo m, $"{m} (reflection reader)")

/// A generated message (the envelope type itself is internal, a property's parameter public).
type AnyMessage internal (m: Message) =
    member internal _.Message = m
    override _.ToString() = sprintf "%A" m

/// Messages of every case (FsCheck cannot derive the recursive `RemoteErrorInfo` itself).
type Messages =
    static member Message() : Arbitrary<AnyMessage> =
        let str = ArbMap.defaults |> ArbMap.generate<string>
        let blob = ArbMap.defaults |> ArbMap.generate<byte[]>
        let i64 = ArbMap.defaults |> ArbMap.generate<int64>
        let i32 = ArbMap.defaults |> ArbMap.generate<int>
        let small = Gen.choose (0, 3)
        let actor = Gen.map2 (fun n (u: NonNull<string>) -> { Name = n; Uid = u.Get }) str (ArbMap.defaults |> ArbMap.generate<NonNull<string>>)
        let rec error depth =
            gen {
                let! source = actor
                let! typeName = str
                let! message = str
                let! stack = str
                let! relay = small |> Gen.bind (fun n -> Gen.listOfLength n actor)
                let! n = if depth = 0 then Gen.constant 0 else small
                let! inner = Gen.listOfLength n (error (depth - 1))
                return { Source = source; TypeName = typeName; Message = message; StackTrace = stack; RelayPath = relay; Inner = inner }
            }
        let strings = Gen.listOf str
        let fn =
            gen {
                let! a = str
                let! d = str
                let! m = str
                let! g = strings
                let! p = strings
                return { Assembly = a; DeclaringType = d; Method = m; GenericArguments = g; ParameterTypes = p }
            }
        let kind =
            Gen.oneof [ Gen.constant Unary; Gen.map2 (fun w o -> Context(w, o)) i32 i32; Gen.map2 (fun w o -> Stream(w, o)) i32 i32 ]
        let spec =
            gen {
                let! a = actor
                let! p = actor
                let! mods = strings
                let! l = i32
                let! g = i32
                let! t = i32
                let! up = Gen.elements [ false; true ]
                let! debug = Gen.elements [ false; true ]
                return Spawn { Actor = a; Parent = p; EnabledModules = mods; LogLevel = l; GracefulMs = g; TerminateMs = t; LogToParent = up; DebugMode = debug }
            }
        Gen.oneof
            [ spec
              Gen.constant Ready
              gen {
                  let! id = i64
                  let! f = fn
                  let! args = Gen.listOf blob
                  let! k = kind
                  let! trace = Gen.oneof [ Gen.constant null; str ]
                  return Start(id, f, args, k, trace)
              }
              Gen.map2 (fun i v -> Return(i, v)) i64 blob
              Gen.map2 (fun i e -> Error(i, e)) i64 (Gen.sized (fun n -> error (min 3 (n / 10))))
              Gen.map CancelCall i64
              Gen.constant CancelActor
              Gen.constant CancelActorAck
              Gen.map2 (fun i v -> Started(i, v)) i64 blob
              Gen.map2 (fun i v -> Yield(i, v)) i64 blob
              Gen.map Stop i64
              Gen.map2 (fun k c -> Credit(k, c)) i64 i32
              Gen.map StreamClosed i64
              Gen.map Overrun i64
              Gen.map3 (fun i a r -> Cancelled(i, a, r)) i64 actor str
              gen {
                  let! entries =
                      Gen.listOf (
                          gen {
                              let! ticks = i64
                              let! level = Gen.choose (0, 5)
                              let! a = str
                              let! pid = i32
                              let! m = str
                              return { Ticks = ticks; Level = enum<LogLevel> level; Category = m; Actor = a; Uid = a; Pid = pid; Message = m }
                          }
                      )

                  let! dropped = i64
                  return LogRecords(entries, dropped)
              }
              Gen.map2 (fun r p -> Debug(r, p)) str blob
              Gen.map2 (fun k items -> Yields(k, items)) i64 (Gen.listOf blob) ]
        |> Gen.map AnyMessage
        |> Arb.fromGen

/// Same bytes as the reflection codec, and back to the same bytes (ActorId equality looks at
/// the uid only, so the re-encoding is the full check).
let ``any message encodes as the reflection-built codec does and round-trips`` (m: AnyMessage) =
    let m = m.Message
    let bytes = handBytes m
    bytes = reference.SerializeToArray m && handBytes (handRead bytes) = bytes

/// Whatever the decoders make of arbitrary bytes, they agree: the same message, or both fail.
let ``random bytes decode as the reflection-built codec decodes them`` (prefix: byte, bytes: byte[]) =
    // Bias towards plausible envelopes: a small array header or a small tag first.
    let bytes = Array.append [| (if prefix % 2uy = 0uy then 0x90uy ||| (prefix % 6uy) else prefix % 16uy) |] bytes
    let attempt f =
        try
            Ok(f ())
        with :? MsgPackDecodeException as e -> Result.Error e.Message
    match attempt (fun () -> handRead bytes), attempt (fun () -> reference.Deserialize<Message> bytes) with
    | Ok a, Ok b -> handBytes a = handBytes b
    | Result.Error _, Result.Error _ -> true
    | a, b -> failwith $"hand-written: {a}, reflection-built: {b}"

let ``fields appended by a newer writer are skipped`` () =
    // [Credit, key, count, extra] and a SpawnSpec with a ninth field.
    let credit = [| 0x94uy; byte MessageCodec.CreditTag; 0x05uy; 0x07uy; 0xa1uy; byte 'x' |]
    Assert.That(handRead credit, Is.EqualTo(Credit(5L, 7)))
    let spec = handBytes (samples.Head)
    // [0, [a, p, mods, 3, 2000, 1000, true, true]] -> the inner record's header 0x98 becomes 0x99 + a nil.
    let inner = Array.IndexOf(spec, 0x98uy)
    let widened = Array.concat [ spec[.. inner - 1]; [| 0x99uy |]; spec[inner + 1 ..]; [| 0xc0uy |] ]
    Assert.That(handRead widened, Is.EqualTo samples.Head)

let ``bad envelopes fail with a decode error naming the problem`` () =
    let fails (bytes: byte[]) (fragment: string) =
        let e = Assert.Throws<MsgPackDecodeException>(fun () -> handRead bytes |> ignore)
        Assert.That(e.Message, Does.Contain fragment)
    fails [| byte MessageCodec.StopTag |] "found a bare tag"
    fails [| 0x7fuy |] "unknown tag 127"
    fails [| 0x92uy; 0x7fuy; 0x01uy |] "unknown tag 127"
    fails [| 0x91uy; byte MessageCodec.CreditTag |] "has 2 fields, found 0"
    fails [| 0x90uy |] "found an empty array"
    fails [| byte MessageCodec.ReadyTag; 0x00uy |] "left over"
    fails [| 0x92uy; byte MessageCodec.StopTag |] "" // truncated

let ``nesting deeper than the limit is refused both ways`` () =
    let rec nest n inner =
        if n = 0 then inner else nest (n - 1) { error with Inner = [ inner ] }
    let deep = Error(1L, nest 100 error)
    Assert.Throws<MsgPackEncodeException>(fun () -> handBytes deep |> ignore) |> ignore
    Assert.Throws<MsgPackEncodeException>(fun () -> reference.SerializeToArray deep |> ignore) |> ignore

/// This file's tests, in file order.
[<Expecto.Tests>]
let tests =
    Register.tests "MessageCodecTests" [
        Register.test "the samples cover every Message case" ``the samples cover every Message case``
        Register.test "case tags are the declaration indexes" ``case tags are the declaration indexes``
        Register.test "every case encodes as the reflection-built codec does and round-trips" ``every case encodes as the reflection-built codec does and round-trips``
        Register.property 200 [ typeof<Messages> ] "any message encodes as the reflection-built codec does and round-trips" ``any message encodes as the reflection-built codec does and round-trips``
        Register.property 200 [] "random bytes decode as the reflection-built codec decodes them" ``random bytes decode as the reflection-built codec decodes them``
        Register.test "fields appended by a newer writer are skipped" ``fields appended by a newer writer are skipped``
        Register.test "bad envelopes fail with a decode error naming the problem" ``bad envelopes fail with a decode error naming the problem``
        Register.test "nesting deeper than the limit is refused both ways" ``nesting deeper than the limit is refused both ways``
    ]
