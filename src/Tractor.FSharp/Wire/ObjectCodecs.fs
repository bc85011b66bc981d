namespace TractorNet.Wire

open System
open System.Buffers
open System.Linq.Expressions
open System.Reflection
open Microsoft.FSharp.Reflection

/// A compiled writer of one type.
type internal WriteFn<'T> = delegate of byref<MsgPackWriter> * 'T -> unit

/// A compiled reader of one type.
type internal ReadFn<'T> = delegate of byref<MsgPackReader> -> 'T

/// A codec made of two compiled delegates.
type internal CompiledCodec<'T>(write: WriteFn<'T>, read: ReadFn<'T>, canWriteNil: bool) =
    inherit MsgPackCodec<'T>()
    override _.Write(w, v) = write.Invoke(&w, v)
    override _.Read(r) = read.Invoke(&r)
    override _.CanWriteNil = canWriteNil

/// Out-of-line steps the compiled codecs call (error paths and loops are simpler here than as
/// expression trees).
type internal ObjectHelpers =
    static member Position(reader: byref<MsgPackReader>) : int64 = reader.Consumed

    static member IsInteger(reader: byref<MsgPackReader>) : bool =
        reader.NextType = MsgPackType.Integer

    /// Enters an array of at least `expected` items; returns how many extra items to skip.
    static member BeginArray(reader: byref<MsgPackReader>, expected: int, what: string) : int =
        reader.Enter()
        let start = reader.Consumed
        let n = reader.ReadArrayHeader()
        if n < expected then
            raise (MsgPackDecodeException($"{what} has {expected} fields, found an array of {n}", start))
        n - expected

    /// Skips items a newer writer appended, and leaves the array.
    static member EndArray(reader: byref<MsgPackReader>, extra: int) =
        for _ in 1..extra do
            reader.Skip()
        reader.Leave()

    /// Enters a union case array [tag, fields...]; returns the number of fields present.
    static member BeginUnion(reader: byref<MsgPackReader>, what: string) : int =
        reader.Enter()
        let start = reader.Consumed
        let n = reader.ReadArrayHeader()
        if n < 1 then
            raise (MsgPackDecodeException($"union `{what}` is written as a tag or [tag, fields...], found an empty array", start))
        n - 1

    /// Checks a case has its fields; returns the extra ones to skip.
    static member CaseFields(start: int64, present: int, expected: int, what: string) : int =
        if present < expected then
            raise (MsgPackDecodeException($"union case `{what}` has {expected} fields, found {present}", start))
        present - expected

    static member BadBareTag(start: int64, tag: int, what: string, cases: string array) : unit =
        if tag >= 0 && tag < cases.Length then
            raise (
                MsgPackDecodeException(
                    $"union case `{what}.{cases[tag]}` has fields: expected [tag, fields...], found a bare tag",
                    start
                )
            )
        else
            raise (MsgPackDecodeException($"unknown tag {tag} for union `{what}` ({cases.Length} cases)", start))

    static member UnknownTag(start: int64, tag: int, what: string, count: int) : unit =
        raise (MsgPackDecodeException($"unknown tag {tag} for union `{what}` ({count} cases)", start))

    static member ThrowNull(what: string) : unit =
        raise (MsgPackEncodeException($"null is not a valid value of `{what}` (F# records, unions and tuples are never null)"))

    /// Enters a map; returns its entry count.
    static member BeginMap(reader: byref<MsgPackReader>) : int =
        reader.Enter()
        reader.ReadMapHeader()

    /// Reads a str key and returns its index in `keys` (UTF-8), or -1.
    static member ReadKeyIndex(reader: byref<MsgPackReader>, keys: byte array array) : int =
        let key = reader.ReadStringSpan()
        let mutable found = -1
        let mutable i = 0
        while found < 0 && i < keys.Length do
            if key.SequenceEqual(ReadOnlySpan keys[i]) then found <- i
            i <- i + 1
        found

    /// Writes pre-encoded bytes (a key).
    static member WriteRaw(writer: byref<MsgPackWriter>, bytes: byte array) = writer.WriteRaw(ReadOnlySpan bytes)

/// Builds codecs for F# records, unions, tuples and plain classes/structs by compiling
/// expression trees once per type (reflection at build time only; no boxing per call).
module internal ObjectCodecs =
    let private flags = BindingFlags.Public ||| BindingFlags.NonPublic
    let private writerRef = typeof<WriteFn<int>>.GetMethod("Invoke", BindingFlags.Public ||| BindingFlags.NonPublic ||| BindingFlags.Instance).GetParameters().[0].ParameterType
    let private readerRef = typeof<ReadFn<int>>.GetMethod("Invoke", BindingFlags.Public ||| BindingFlags.NonPublic ||| BindingFlags.Instance).GetParameters().[0].ParameterType
    let private writerType = writerRef.GetElementType()
    let private readerType = readerRef.GetElementType()

    let private helper name =
        typeof<ObjectHelpers>.GetMethod(name, BindingFlags.Public ||| BindingFlags.NonPublic ||| BindingFlags.Static)

    let private writerMethod name (args: Type array) = writerType.GetMethod(name, args)
    let private readerMethod name = readerType.GetMethod(name, Type.EmptyTypes)
    let private constant (x: 'a) = Expression.Constant(x, typeof<'a>) :> Expression
    let private block (exprs: Expression seq) = Expression.Block(typeof<Void>, exprs) :> Expression

    let private blockWith (vars: ParameterExpression seq) (exprs: Expression seq) =
        Expression.Block(typeof<Void>, vars, exprs) :> Expression

    let private callW (w: ParameterExpression) name (args: Expression list) =
        Expression.Call(w, writerMethod name (args |> List.map _.Type |> Array.ofList), args) :> Expression

    let private callR (r: ParameterExpression) name =
        Expression.Call(r, readerMethod name) :> Expression

    let private callHelper name (args: Expression list) =
        Expression.Call(helper name, args) :> Expression

    /// Writes `value` with `codec` (directly through the writer for primitives).
    let private writeWith (codec: IMsgPackCodec) (w: ParameterExpression) (value: Expression) : Expression =
        match codec with
        | :? IDirectCodec as d -> Expression.Call(w, d.WriteMethod, value)
        | _ ->
            let ct = typedefof<MsgPackCodec<_>>.MakeGenericType codec.ValueType
            Expression.Call(Expression.Constant(codec, ct), ct.GetMethod "Write", w, value)

    /// Reads a value with `codec`.
    let private readWith (codec: IMsgPackCodec) (r: ParameterExpression) : Expression =
        match codec with
        | :? IDirectCodec as d -> Expression.Call(r, d.ReadMethod)
        | _ ->
            let ct = typedefof<MsgPackCodec<_>>.MakeGenericType codec.ValueType
            Expression.Call(Expression.Constant(codec, ct), ct.GetMethod "Read", r)

    let private nullCheck (t: Type) (v: Expression) (what: string) : Expression list =
        if t.IsValueType then []
        else [ Expression.IfThen(Expression.ReferenceEqual(v, Expression.Constant(null, t)), callHelper "ThrowNull" [ constant what ]) ]

    let private compile (t: Type) (writeBody: Expression) (w: ParameterExpression) (v: ParameterExpression) (readBody: Expression) (r: ParameterExpression) (canWriteNil: bool) =
        let write = Expression.Lambda(typedefof<WriteFn<_>>.MakeGenericType t, writeBody, [ w; v ]).Compile()
        let read = Expression.Lambda(typedefof<ReadFn<_>>.MakeGenericType t, readBody, [ r ]).Compile()
        Activator.CreateInstance(typedefof<CompiledCodec<_>>.MakeGenericType t, [| box write; box read; box canWriteNil |]) :?> IMsgPackCodec

    /// Writes `[items...]` and reads it back into `construct items`.
    let private positional (t: Type) (typeName: string) (what: string) (items: (IMsgPackCodec * (Expression -> Expression)) array) (construct: Expression list -> Expression) =
        let w = Expression.Parameter(writerRef, "writer")
        let v = Expression.Parameter(t, "value")
        let writeBody =
            block [
                yield! nullCheck t v typeName
                callW w "Enter" []
                callW w "WriteArrayHeader" [ constant items.Length ]
                for codec, get in items do
                    writeWith codec w (get v)
                callW w "Leave" [] ]
        let r = Expression.Parameter(readerRef, "reader")
        let extra = Expression.Variable(typeof<int>, "extra")
        let locals = items |> Array.mapi (fun i (codec, _) -> Expression.Variable(codec.ValueType, $"item{i}"))
        let readBody =
            Expression.Block(
                t,
                Seq.append [ extra ] locals,
                [ yield Expression.Assign(extra, callHelper "BeginArray" [ r; constant items.Length; constant what ]) :> Expression
                  for (codec, _), local in Array.zip items locals do
                      yield Expression.Assign(local, readWith codec r)
                  yield callHelper "EndArray" [ r; extra ]
                  yield construct [ for l in locals -> l :> Expression ] ]
            )
        compile t writeBody w v readBody r false

    /// F# record: `[field1, field2, ...]` in declaration order.
    let record (source: ICodecSource) (t: Type) : IMsgPackCodec =
        let name = TypeNames.describe t
        let fields = FSharpType.GetRecordFields(t, flags)
        let items =
            fields
            |> Array.map (fun f ->
                source.Member(f.PropertyType, $"field `{f.Name}` of record `{name}`", "." + f.Name),
                fun (v: Expression) -> Expression.Property(v, f) :> Expression)
        let ctor = FSharpValue.PreComputeRecordConstructorInfo(t, flags)
        positional t name $"record `{name}`" items (fun args -> Expression.New(ctor, args))

    /// Tuples (reference and struct): `[item1, item2, ...]`, flattened beyond 7 items.
    let tuple (source: ICodecSource) (t: Type) : IMsgPackCodec =
        let name = TypeNames.describe t
        let elements = FSharpType.GetTupleElements t
        let rec access (v: Expression) i =
            if i < 7 then Expression.PropertyOrField(v, $"Item{i + 1}") :> Expression
            else access (Expression.PropertyOrField(v, "Rest")) (i - 7)
        let items =
            elements
            |> Array.mapi (fun i e ->
                source.Member(e, $"item {i + 1} of tuple `{name}`", $".Item{i + 1}"), fun (v: Expression) -> access v i)
        let rec build (ty: Type) (values: Expression list) : Expression =
            let args = ty.GetGenericArguments()
            let ctor = ty.GetConstructor args
            if args.Length = 8 then
                Expression.New(ctor, List.take 7 values @ [ build args[7] (List.skip 7 values) ])
            else
                Expression.New(ctor, values)
        positional t name $"tuple `{name}`" items (build t)

    /// F# union: a fieldless case is its tag (an integer, the case's declaration index); a
    /// case with fields is `[tag, field1, ...]`.
    let union (source: ICodecSource) (t: Type) : IMsgPackCodec =
        let name = TypeNames.describe t
        let cases = FSharpType.GetUnionCases(t, flags)
        let tagOf (v: Expression) : Expression =
            match FSharpValue.PreComputeUnionTagMemberInfo(t, flags) with
            | :? PropertyInfo as p -> Expression.Property(v, p)
            | :? MethodInfo as m when m.IsStatic -> Expression.Call(m, v)
            | :? MethodInfo as m -> Expression.Call(v, m)
            | m -> failwith $"unexpected tag member {m}"
        let usesNull =
            t.GetCustomAttributes(typeof<CompilationRepresentationAttribute>, false)
            |> Seq.exists (fun a -> (a :?> CompilationRepresentationAttribute).Flags.HasFlag CompilationRepresentationFlags.UseNullAsTrueValue)
        let info =
            cases
            |> Array.map (fun c ->
                let fields = c.GetFields()
                let codecs =
                    fields
                    |> Array.map (fun f ->
                        source.Member(f.PropertyType, $"field `{f.Name}` of union case `{name}.{c.Name}`", $".{c.Name}.{f.Name}"))
                c, fields, codecs, FSharpValue.PreComputeUnionConstructorInfo(c, flags))
        let switch (value: Expression) (defaultBody: Expression) (cases: SwitchCase list) : Expression =
            if cases.IsEmpty then defaultBody
            else Expression.Switch(typeof<Void>, value, defaultBody, null, cases) :> Expression

        // write
        let w = Expression.Parameter(writerRef, "writer")
        let v = Expression.Parameter(t, "value")
        let writeCases =
            [ for c, fields, codecs, _ in info ->
                  let body =
                      if fields.Length = 0 then
                          callW w "WriteInt32" [ constant c.Tag ]
                      else
                          block [
                              callW w "Enter" []
                              callW w "WriteArrayHeader" [ constant (fields.Length + 1) ]
                              callW w "WriteInt32" [ constant c.Tag ]
                              for f, codec in Array.zip fields codecs do
                                  writeWith codec w (Expression.Property(Expression.Convert(v, f.DeclaringType), f))
                              callW w "Leave" [] ]
                  Expression.SwitchCase(body, constant c.Tag) ]
        let writeBody =
            block [
                if not usesNull then yield! nullCheck t v name
                switch (tagOf v) (Expression.Empty()) writeCases ]

        // read
        let r = Expression.Parameter(readerRef, "reader")
        let start = Expression.Variable(typeof<int64>, "start")
        let result = Expression.Variable(t, "result")
        let tag = Expression.Variable(typeof<int>, "tag")
        let present = Expression.Variable(typeof<int>, "present")
        let extra = Expression.Variable(typeof<int>, "extra")
        let caseNames = cases |> Array.map _.Name
        let bareCases =
            [ for c, fields, _, ctor in info do
                  if fields.Length = 0 then
                      Expression.SwitchCase(block [ Expression.Assign(result, Expression.Call(ctor)) ], constant c.Tag) ]
        let arrayCases =
            [ for c, fields, codecs, ctor in info ->
                  let locals = fields |> Array.map (fun f -> Expression.Variable(f.PropertyType, f.Name))
                  let body =
                      blockWith locals [
                          yield Expression.Assign(extra, callHelper "CaseFields" [ start; present; constant fields.Length; constant $"{name}.{c.Name}" ]) :> Expression
                          for local, codec in Array.zip locals codecs do
                              yield Expression.Assign(local, readWith codec r)
                          yield Expression.Assign(result, Expression.Call(ctor, [ for l in locals -> l :> Expression ])) ]
                  Expression.SwitchCase(body, constant c.Tag) ]
        let readBody =
            Expression.Block(
                t,
                [ start; result; tag; present; extra ],
                [ Expression.Assign(start, callHelper "Position" [ r ]) :> Expression
                  Expression.IfThenElse(
                      callHelper "IsInteger" [ r ],
                      block [
                          Expression.Assign(tag, callR r "ReadInt32")
                          switch tag (callHelper "BadBareTag" [ start; tag; constant name; constant caseNames ]) bareCases ],
                      block [
                          Expression.Assign(present, callHelper "BeginUnion" [ r; constant name ])
                          Expression.Assign(tag, callR r "ReadInt32")
                          switch tag (callHelper "UnknownTag" [ start; tag; constant name; constant cases.Length ]) arrayCases
                          callHelper "EndArray" [ r; extra ] ]
                  )
                  result ]
            )
        compile t writeBody w v readBody r false

    /// A public property or field of a plain class/struct.
    type private Member =
        { Name: string
          Type: Type
          Info: MemberInfo
          Settable: bool }

    /// Plain classes and structs (C# classes and records, F# classes): a map from public
    /// property/field names to values. Built through the public constructor whose parameters
    /// all match members (by name, ignoring case), then settable members. Members that cannot be
    /// restored (computed, get-only and not a constructor parameter) are not written.
    let plainObject (source: ICodecSource) (t: Type) : IMsgPackCodec =
        let name = TypeNames.describe t
        let instance = BindingFlags.Public ||| BindingFlags.Instance
        let members =
            [ for p in t.GetProperties instance do
                  if not (isNull p.GetMethod) && p.GetMethod.IsPublic && p.GetIndexParameters().Length = 0 then
                      yield
                          { Name = p.Name
                            Type = p.PropertyType
                            Info = p
                            Settable = not (isNull p.SetMethod) && p.SetMethod.IsPublic }
              for f in t.GetFields instance ->
                  { Name = f.Name
                    Type = f.FieldType
                    Info = f
                    Settable = not f.IsInitOnly } ]
            |> List.distinctBy _.Name
        let byName (n: string) = members |> List.tryFind (fun m -> String.Equals(m.Name, n, StringComparison.OrdinalIgnoreCase))
        let matches (ctor: ConstructorInfo) =
            ctor.GetParameters() |> Array.forall (fun p ->
                match byName p.Name with
                | Some m -> p.ParameterType.IsAssignableFrom m.Type
                | None -> false)
        let ctor =
            t.GetConstructors instance
            |> Array.filter matches
            |> Array.sortByDescending (fun c -> c.GetParameters().Length)
            |> Array.tryHead
        if ctor.IsNone && not t.IsValueType then
            raise (UnserializableTypeException(t, "it has no public constructor whose parameters all match public properties (by name), nor a parameterless one; register a codec for it"))
        let ctorParams = match ctor with Some c -> c.GetParameters() | None -> [||]
        let inCtor (m: Member) = ctorParams |> Array.exists (fun p -> String.Equals(p.Name, m.Name, StringComparison.OrdinalIgnoreCase))
        let restorable = members |> List.filter (fun m -> m.Settable || inCtor m) |> Array.ofList
        if restorable.Length = 0 && not members.IsEmpty then
            raise (UnserializableTypeException(t, "none of its public properties can be set or passed to its constructor; register a codec for it"))
        let codecs =
            restorable
            |> Array.map (fun m ->
                let kind = if m.Info :? FieldInfo then "field" else "property"
                source.Member(m.Type, $"{kind} `{m.Name}` of `{name}`", "." + m.Name))
        let keys = restorable |> Array.map (fun m -> Text.Encoding.UTF8.GetBytes m.Name)
        let encodedKeys =
            keys |> Array.map (fun k ->
                let buffer = ArrayBufferWriter<byte>()
                let mutable w = MsgPackWriter(buffer)
                w.WriteStringUtf8(ReadOnlySpan k)
                w.Flush()
                buffer.WrittenSpan.ToArray())
        let get (v: Expression) (m: Member) : Expression =
            match m.Info with
            | :? PropertyInfo as p -> Expression.Property(v, p)
            | info -> Expression.Field(v, info :?> FieldInfo)

        // write
        let w = Expression.Parameter(writerRef, "writer")
        let v = Expression.Parameter(t, "value")
        let writeMembers =
            block [
                callW w "Enter" []
                callW w "WriteMapHeader" [ constant restorable.Length ]
                for i in 0 .. restorable.Length - 1 do
                    callHelper "WriteRaw" [ w; constant encodedKeys[i] ]
                    writeWith codecs[i] w (get v restorable[i])
                callW w "Leave" [] ]
        let writeBody =
            if t.IsValueType then writeMembers
            else Expression.IfThenElse(Expression.ReferenceEqual(v, Expression.Constant(null, t)), callW w "WriteNil" [], writeMembers)

        // read
        let r = Expression.Parameter(readerRef, "reader")
        let count = Expression.Variable(typeof<int>, "count")
        let i = Expression.Variable(typeof<int>, "i")
        let result = Expression.Variable(t, "result")
        let values = restorable |> Array.map (fun m -> Expression.Variable(m.Type, m.Name))
        let seen = restorable |> Array.map (fun m -> Expression.Variable(typeof<bool>, "seen" + m.Name))
        let breakLabel = Expression.Label "done"
        let readEntries =
            Expression.Loop(
                Expression.IfThenElse(
                    Expression.LessThan(i, count),
                    block [
                        Expression.Switch(
                            typeof<Void>,
                            callHelper "ReadKeyIndex" [ r; constant keys ],
                            callR r "Skip",
                            null,
                            [ for k in 0 .. restorable.Length - 1 ->
                                  Expression.SwitchCase(
                                      block [ Expression.Assign(values[k], readWith codecs[k] r); Expression.Assign(seen[k], constant true) ],
                                      constant k
                                  ) ]
                        )
                        |> fun s -> if restorable.Length = 0 then callR r "Skip" else s :> Expression
                        Expression.PostIncrementAssign i ],
                    Expression.Break breakLabel
                ),
                breakLabel
            )
        let index (m: Member) = Array.IndexOf(restorable, m)
        let argument (p: ParameterInfo) : Expression =
            let m = (byName p.Name).Value
            let k = index m
            let fallback =
                if p.HasDefaultValue && not (isNull p.DefaultValue) && p.DefaultValue.GetType() = p.ParameterType then
                    Expression.Constant(p.DefaultValue, p.ParameterType) :> Expression
                else
                    Expression.Default p.ParameterType
            Expression.Condition(seen[k], Expression.Convert(values[k], p.ParameterType), fallback)
        let construct: Expression =
            match ctor with
            | Some c -> Expression.New(c, [ for p in ctorParams -> argument p ])
            | None -> Expression.New t
        let readObject =
            Expression.Block(
                t,
                Array.concat [ [| count; i; result |]; values; seen ],
                [ yield Expression.Assign(count, callHelper "BeginMap" [ r ]) :> Expression
                  yield readEntries
                  yield callR r "Leave"
                  yield Expression.Assign(result, construct)
                  for m in restorable do
                      if not (inCtor m) then
                          let k = index m
                          yield Expression.IfThen(seen[k], Expression.Assign(get result m, values[k]))
                  yield result ]
            )
        let readBody =
            if t.IsValueType then readObject :> Expression
            else Expression.Condition(callR r "TryReadNil", Expression.Constant(null, t), readObject)
        compile t writeBody w v readBody r (not t.IsValueType)
