namespace TractorNet.Runtime

open System
open System.Buffers
open TractorNet
open TractorNet.Wire
open Microsoft.FSharp.Core.CompilerServices

/// The protocol envelope's codec, written by hand: byte for byte the encoding the reflection-built
/// codecs give these types (records `[fields...]`, a fieldless union case its tag, a case with
/// fields `[tag, fields...]`, lists arrays, strings/blobs nil when null; docs/protocol.md), but
/// without building codecs at run time. A new actor would otherwise spend tens of milliseconds of
/// reflection, expression compilation and JIT on it before its first message. Readers accept what
/// the built codecs accept (extra trailing fields are skipped) and fail the same way.
module internal MessageCodec =
    /// Case tags (declaration order in `Message`; a test checks them against reflection).
    [<Literal>]
    let SpawnTag = 0

    [<Literal>]
    let ReadyTag = 1

    [<Literal>]
    let StartTag = 2

    [<Literal>]
    let ReturnTag = 3

    [<Literal>]
    let ErrorTag = 4

    [<Literal>]
    let CancelCallTag = 5

    [<Literal>]
    let CancelActorTag = 6

    [<Literal>]
    let CancelActorAckTag = 7

    [<Literal>]
    let StartedTag = 8

    [<Literal>]
    let YieldTag = 9

    [<Literal>]
    let StopTag = 10

    [<Literal>]
    let CreditTag = 11

    [<Literal>]
    let StreamClosedTag = 12

    [<Literal>]
    let OverrunTag = 13

    [<Literal>]
    let CancelledTag = 14

    [<Literal>]
    let LogRecordsTag = 15

    [<Literal>]
    let DebugTag = 16

    [<Literal>]
    let YieldsTag = 17

    let private caseNames =
        [| "Spawn"; "Ready"; "Start"; "Return"; "Error"; "CancelCall"; "CancelActor"; "CancelActorAck"
           "Started"; "Yield"; "Stop"; "Credit"; "StreamClosed"; "Overrun"; "Cancelled"
           "LogRecords"; "Debug"; "Yields" |]

    let private kindNames = [| "Unary"; "Context"; "Stream" |]

    // ---------------------------------------------------------------- writing

    let inline private notNull (value: obj) (what: string) =
        if isNull value then ObjectHelpers.ThrowNull what

    let private writeStrings (w: byref<MsgPackWriter>) (xs: string list) =
        w.WriteArrayHeader xs.Length
        for x in xs do
            w.WriteString x

    let private writeBytes (w: byref<MsgPackWriter>) (b: byte[]) =
        if isNull b then w.WriteNil() else w.WriteBinary(ReadOnlySpan b)

    let private writeActor (w: byref<MsgPackWriter>) (a: ActorId) =
        notNull (box a) "ActorId"
        w.Enter()
        w.WriteArrayHeader 2
        w.WriteString a.Name
        w.WriteString a.Uid
        w.Leave()

    let private writeFunction (w: byref<MsgPackWriter>) (f: FunctionRef) =
        notNull (box f) "FunctionRef"
        w.Enter()
        w.WriteArrayHeader 5
        w.WriteString f.Assembly
        w.WriteString f.DeclaringType
        w.WriteString f.Method
        writeStrings &w f.GenericArguments
        writeStrings &w f.ParameterTypes
        w.Leave()

    let private writeKind (w: byref<MsgPackWriter>) (k: CallKind) =
        notNull (box k) "CallKind"
        match k with
        | Unary -> w.WriteInt32 0
        | Context(window, overruns)
        | Stream(window, overruns) ->
            w.Enter()
            w.WriteArrayHeader 3
            w.WriteInt32(match k with Context _ -> 1 | _ -> 2)
            w.WriteInt32 window
            w.WriteInt32 overruns
            w.Leave()

    let rec private writeError (w: byref<MsgPackWriter>) (e: RemoteErrorInfo) =
        notNull (box e) "RemoteErrorInfo"
        w.Enter()
        w.WriteArrayHeader 6
        writeActor &w e.Source
        w.WriteString e.TypeName
        w.WriteString e.Message
        w.WriteString e.StackTrace
        w.WriteArrayHeader e.RelayPath.Length
        for a in e.RelayPath do
            writeActor &w a
        w.WriteArrayHeader e.Inner.Length
        for i in e.Inner do
            writeError &w i
        w.Leave()

    let private writeSpec (w: byref<MsgPackWriter>) (s: SpawnSpec) =
        notNull (box s) "SpawnSpec"
        w.Enter()
        w.WriteArrayHeader 8
        writeActor &w s.Actor
        writeActor &w s.Parent
        writeStrings &w s.EnabledModules
        w.WriteInt32 s.LogLevel
        w.WriteInt32 s.GracefulMs
        w.WriteInt32 s.TerminateMs
        w.WriteBoolean s.LogToParent
        w.WriteBoolean s.DebugMode
        w.Leave()

    let private writeLogEntry (w: byref<MsgPackWriter>) (e: LogEntry) =
        notNull (box e) "LogEntry"
        w.Enter()
        w.WriteArrayHeader 7
        w.WriteInt64 e.Ticks
        w.WriteInt32(int e.Level)
        w.WriteString e.Actor
        w.WriteInt32 e.Pid
        w.WriteString e.Message
        w.WriteString e.Category
        w.WriteString e.Uid
        w.Leave()

    /// Opens a case with fields: `[tag, ...` (`fields` of them follow).
    let private caseHeader (w: byref<MsgPackWriter>) (tag: int) (fields: int) =
        w.Enter()
        w.WriteArrayHeader(fields + 1)
        w.WriteInt32 tag

    /// Writes one message.
    let write (w: byref<MsgPackWriter>) (m: Message) =
        notNull (box m) "Message"

        match m with
        | Ready -> w.WriteInt32 ReadyTag
        | CancelActor -> w.WriteInt32 CancelActorTag
        | CancelActorAck -> w.WriteInt32 CancelActorAckTag
        | _ ->
            match m with
            | Spawn spec ->
                caseHeader &w SpawnTag 1
                writeSpec &w spec
            | Start(id, f, args, kind, trace) ->
                caseHeader &w StartTag 5
                w.WriteInt64 id
                writeFunction &w f
                w.WriteArrayHeader args.Length
                for a in args do
                    writeBytes &w a
                writeKind &w kind
                w.WriteString trace
            | Return(id, value) ->
                caseHeader &w ReturnTag 2
                w.WriteInt64 id
                writeBytes &w value
            | Error(id, e) ->
                caseHeader &w ErrorTag 2
                w.WriteInt64 id
                writeError &w e
            | CancelCall id ->
                caseHeader &w CancelCallTag 1
                w.WriteInt64 id
            | Started(id, value) ->
                caseHeader &w StartedTag 2
                w.WriteInt64 id
                writeBytes &w value
            | Yield(key, item) ->
                caseHeader &w YieldTag 2
                w.WriteInt64 key
                writeBytes &w item
            | Stop key ->
                caseHeader &w StopTag 1
                w.WriteInt64 key
            | Credit(key, count) ->
                caseHeader &w CreditTag 2
                w.WriteInt64 key
                w.WriteInt32 count
            | StreamClosed key ->
                caseHeader &w StreamClosedTag 1
                w.WriteInt64 key
            | Overrun key ->
                caseHeader &w OverrunTag 1
                w.WriteInt64 key
            | Cancelled(id, canceller, reason) ->
                caseHeader &w CancelledTag 3
                w.WriteInt64 id
                writeActor &w canceller
                w.WriteString reason
            | LogRecords(records, dropped) ->
                caseHeader &w LogRecordsTag 2
                w.WriteArrayHeader records.Length
                for e in records do
                    writeLogEntry &w e
                w.WriteInt64 dropped
            | Debug(route, payload) ->
                caseHeader &w DebugTag 2
                w.WriteString route
                writeBytes &w payload
            | Yields(key, items) ->
                caseHeader &w YieldsTag 2
                w.WriteInt64 key
                w.WriteArrayHeader items.Length
                for i in items do
                    writeBytes &w i
            | Ready
            | CancelActor
            | CancelActorAck -> ()

            w.Leave()

    // ---------------------------------------------------------------- reading

    let private readStrings (r: byref<MsgPackReader>) : string list =
        let n = r.ReadArrayHeader()
        let mutable items = ListCollector<string>()

        for _ in 1..n do
            items.Add(r.ReadStringOrNull())

        items.Close()

    let private readBytes (r: byref<MsgPackReader>) : byte[] =
        if r.TryReadNil() then null else r.ReadByteArray()

    let private readActor (r: byref<MsgPackReader>) : ActorId =
        let extra = ObjectHelpers.BeginArray(&r, 2, "record `ActorId`")
        let name = r.ReadStringOrNull()
        let uid = r.ReadStringOrNull()
        ObjectHelpers.EndArray(&r, extra)
        { Name = name; Uid = uid }

    let private readFunction (r: byref<MsgPackReader>) : FunctionRef =
        let extra = ObjectHelpers.BeginArray(&r, 5, "record `FunctionRef`")
        let assembly = r.ReadStringOrNull()
        let declaringType = r.ReadStringOrNull()
        let methodName = r.ReadStringOrNull()
        let generics = readStrings &r
        let parameters = readStrings &r
        ObjectHelpers.EndArray(&r, extra)

        { Assembly = assembly
          DeclaringType = declaringType
          Method = methodName
          GenericArguments = generics
          ParameterTypes = parameters }

    let private readKind (r: byref<MsgPackReader>) : CallKind =
        let start = r.Consumed

        if r.NextType = MsgPackType.Integer then
            let tag = r.ReadInt32()
            if tag <> 0 then ObjectHelpers.BadBareTag(start, tag, "CallKind", kindNames)
            Unary
        else
            let present = ObjectHelpers.BeginUnion(&r, "CallKind")
            let tag = r.ReadInt32()

            let kind, extra =
                match tag with
                | 0 -> Unary, ObjectHelpers.CaseFields(start, present, 0, "CallKind.Unary")
                | 1
                | 2 ->
                    let extra = ObjectHelpers.CaseFields(start, present, 2, $"CallKind.{kindNames[tag]}")
                    let window = r.ReadInt32()
                    let overruns = r.ReadInt32()
                    (if tag = 1 then Context(window, overruns) else Stream(window, overruns)), extra
                | _ ->
                    ObjectHelpers.UnknownTag(start, tag, "CallKind", kindNames.Length)
                    Unary, 0

            ObjectHelpers.EndArray(&r, extra)
            kind

    let rec private readError (r: byref<MsgPackReader>) : RemoteErrorInfo =
        let extra = ObjectHelpers.BeginArray(&r, 6, "record `RemoteErrorInfo`")
        let source = readActor &r
        let typeName = r.ReadStringOrNull()
        let message = r.ReadStringOrNull()
        let stack = r.ReadStringOrNull()
        let n = r.ReadArrayHeader()
        let mutable relay = ListCollector<ActorId>()

        for _ in 1..n do
            relay.Add(readActor &r)

        let n = r.ReadArrayHeader()
        let mutable inner = ListCollector<RemoteErrorInfo>()

        for _ in 1..n do
            inner.Add(readError &r)

        ObjectHelpers.EndArray(&r, extra)

        { Source = source
          TypeName = typeName
          Message = message
          StackTrace = stack
          RelayPath = relay.Close()
          Inner = inner.Close() }

    let private readSpec (r: byref<MsgPackReader>) : SpawnSpec =
        let extra = ObjectHelpers.BeginArray(&r, 8, "record `SpawnSpec`")
        let actor = readActor &r
        let parent = readActor &r
        let modules = readStrings &r
        let level = r.ReadInt32()
        let graceful = r.ReadInt32()
        let terminate = r.ReadInt32()
        let logToParent = r.ReadBoolean()
        let debugMode = r.ReadBoolean()
        ObjectHelpers.EndArray(&r, extra)

        { Actor = actor
          Parent = parent
          EnabledModules = modules
          LogLevel = level
          GracefulMs = graceful
          TerminateMs = terminate
          LogToParent = logToParent
          DebugMode = debugMode }

    let private readLogEntry (r: byref<MsgPackReader>) : LogEntry =
        let extra = ObjectHelpers.BeginArray(&r, 7, "record `LogEntry`")
        let ticks = r.ReadInt64()
        let level = r.ReadInt32()
        let actor = r.ReadStringOrNull()
        let pid = r.ReadInt32()
        let message = r.ReadStringOrNull()
        let category = r.ReadStringOrNull()
        let uid = r.ReadStringOrNull()
        ObjectHelpers.EndArray(&r, extra)

        { Ticks = ticks
          Level = enum<LogLevel> level
          Category = category
          Actor = actor
          Uid = uid
          Pid = pid
          Message = message }

    /// Fields each case has (by tag).
    let private fieldCounts = [| 1; 0; 5; 2; 2; 1; 0; 0; 2; 2; 1; 2; 1; 1; 3; 2; 2; 2 |]

    /// Reads one message.
    let read (r: byref<MsgPackReader>) : Message =
        let start = r.Consumed

        if r.NextType = MsgPackType.Integer then
            let tag = r.ReadInt32()

            match tag with
            | ReadyTag -> Ready
            | CancelActorTag -> CancelActor
            | CancelActorAckTag -> CancelActorAck
            | _ ->
                ObjectHelpers.BadBareTag(start, tag, "Message", caseNames)
                Ready
        else
            let present = ObjectHelpers.BeginUnion(&r, "Message")
            let tag = r.ReadInt32()

            if tag < 0 || tag >= fieldCounts.Length then
                ObjectHelpers.UnknownTag(start, tag, "Message", caseNames.Length)

            let extra = ObjectHelpers.CaseFields(start, present, fieldCounts[tag], "Message." + caseNames[tag])

            let m =
                match tag with
                | SpawnTag -> Spawn(readSpec &r)
                | ReadyTag -> Ready
                | StartTag ->
                    let id = r.ReadInt64()
                    let f = readFunction &r
                    let n = r.ReadArrayHeader()
                    let mutable args = ListCollector<byte[]>()

                    for _ in 1..n do
                        args.Add(readBytes &r)

                    let kind = readKind &r
                    Start(id, f, args.Close(), kind, r.ReadStringOrNull())
                | ReturnTag ->
                    let id = r.ReadInt64()
                    Return(id, readBytes &r)
                | ErrorTag ->
                    let id = r.ReadInt64()
                    Error(id, readError &r)
                | CancelCallTag -> CancelCall(r.ReadInt64())
                | CancelActorTag -> CancelActor
                | CancelActorAckTag -> CancelActorAck
                | StartedTag ->
                    let id = r.ReadInt64()
                    Started(id, readBytes &r)
                | YieldTag ->
                    let key = r.ReadInt64()
                    Yield(key, readBytes &r)
                | StopTag -> Stop(r.ReadInt64())
                | CreditTag ->
                    let key = r.ReadInt64()
                    Credit(key, r.ReadInt32())
                | StreamClosedTag -> StreamClosed(r.ReadInt64())
                | OverrunTag -> Overrun(r.ReadInt64())
                | LogRecordsTag ->
                    let n = r.ReadArrayHeader()
                    let mutable records = ListCollector<LogEntry>()

                    for _ in 1..n do
                        records.Add(readLogEntry &r)

                    LogRecords(records.Close(), r.ReadInt64())
                | DebugTag ->
                    let route = r.ReadStringOrNull()
                    Debug(route, readBytes &r)
                | YieldsTag ->
                    let key = r.ReadInt64()
                    let n = r.ReadArrayHeader()
                    let mutable items = ListCollector<byte[]>()

                    for _ in 1..n do
                        items.Add(readBytes &r)

                    Yields(key, items.Close())
                | _ ->
                    let id = r.ReadInt64()
                    let canceller = readActor &r
                    Cancelled(id, canceller, r.ReadStringOrNull())

            ObjectHelpers.EndArray(&r, extra)
            m

    /// Writes one message as a whole frame payload.
    let serialize (output: IBufferWriter<byte>) (m: Message) =
        let mutable w = MsgPackWriter(output, MsgPackWriter.DefaultMaxDepth)
        write &w m
        w.Flush()

    /// Reads a frame payload holding exactly one message; bad input raises `MsgPackDecodeException`.
    let deserialize (input: ReadOnlySequence<byte>) : Message =
        let mutable r = MsgPackReader(input, MsgPackWriter.DefaultMaxDepth)
        let m = read &r

        if not r.End then
            raise (MsgPackDecodeException($"{r.Remaining} bytes left over after the value", r.Consumed))

        m
