namespace TractorNet.Wire

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Reflection
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.Reflection

/// <summary>
/// Builds and caches the codec of each type: registered codecs first, then factories, then the
/// built-in ones (primitives, options, collections, enums, tuples, F# records and unions, plain
/// classes/structs). Codecs are built once per type (reflection and expression compilation at
/// build time only), recursive types included. A type that cannot be serialised fails here,
/// with an <see cref="T:TractorNet.Wire.UnserializableTypeException"/> naming the member path to the offending type.
/// Thread-safe. Register custom codecs before the types using them are first serialised.
/// </summary>
[<Sealed; AllowNullLiteral>]
type MsgPackCodecResolver() =
    static let flags = BindingFlags.Public ||| BindingFlags.NonPublic
    static let defaultResolver = MsgPackCodecResolver()

    let cache = ConcurrentDictionary<Type, IMsgPackCodec>()
    let failures = ConcurrentDictionary<Type, UnserializableTypeException>()
    let registered = Dictionary<Type, IMsgPackCodec>()
    let factories = ResizeArray<Func<Type, MsgPackCodecResolver, IMsgPackCodec>>()
    let gate = obj ()
    // Codecs built during the current top-level build: committed to the cache only if it succeeds.
    let building = Dictionary<Type, IMsgPackCodec>()
    let mutable nesting = 0

    static let rec isFunction (t: Type) =
        not (isNull t)
        && ((t.IsGenericType && t.GetGenericTypeDefinition() = typedefof<int -> int>) || isFunction t.BaseType)

    /// Why a type can never be serialised, if so.
    static let rejection (t: Type) : string option =
        if t.IsPointer then Some "pointers are not serialisable"
        elif t.IsByRef then Some "by-reference types are not serialisable"
        elif t.IsByRefLike then Some "by-ref-like types (Span<T> and the like) are not serialisable"
        elif t.ContainsGenericParameters then Some "open generic types are not serialisable"
        elif isFunction t then Some "function types are not serialisable"
        elif typeof<Delegate>.IsAssignableFrom t then Some "delegates are not serialisable"
        elif t = typeof<obj> then
            Some "`obj` is not serialisable without a registered codec (the receiver could not know which type to build)"
        elif t.IsInterface then
            Some "interfaces are not serialisable (the receiver could not know which type to build); use a concrete type or register a codec"
        elif typeof<Exception>.IsAssignableFrom t then Some "exceptions are not serialisable as values"
        elif typeof<MemberInfo>.IsAssignableFrom t then Some "reflection objects (Type, MethodInfo...) are not serialisable"
        elif typeof<Task>.IsAssignableFrom t || t = typeof<CancellationToken> then
            Some "tasks and cancellation tokens are not serialisable"
        elif t = typeof<IntPtr> || t = typeof<UIntPtr> then Some "native-sized integers are not portable between processes"
        elif t.IsArray && t.GetArrayRank() > 1 then Some "multi-dimensional arrays are not supported"
        elif t.IsAbstract && not (FSharpType.IsUnion(t, flags)) then
            Some "abstract classes are not serialisable (the receiver could not know which type to build); register a codec"
        else None

    /// Whether a type's codec may write nil, guessed before it is built (for recursive types).
    static let predictNil (t: Type) =
        if isNull (Nullable.GetUnderlyingType t) |> not then true
        elif t.IsGenericType && (t.GetGenericTypeDefinition() = typedefof<option<_>> || t.GetGenericTypeDefinition() = typedefof<voption<_>>) then true
        elif t.IsValueType || FSharpType.IsRecord(t, flags) || FSharpType.IsUnion(t, flags) || FSharpType.IsTuple t then false
        else true

    static let checkCodec (t: Type) (codec: IMsgPackCodec) =
        if not (typedefof<MsgPackCodec<_>>.MakeGenericType(t).IsInstanceOfType codec) then
            raise (ArgumentException($"a codec for {TypeNames.describe t} must derive from MsgPackCodec<{TypeNames.describe t}>"))

    /// <summary>The resolver used by <c>MsgPackSerializer.Default</c>.</summary>
    static member Default = defaultResolver

    /// <summary>Uses <paramref name="codec"/> for its type (replacing the built-in encoding).</summary>
    member this.Register(codec: IMsgPackCodec) =
        if isNull codec then nullArg (nameof codec)
        checkCodec codec.ValueType codec
        lock gate (fun () ->
            registered[codec.ValueType] <- codec
            cache.Clear()
            failures.Clear())

    /// <summary>Uses <paramref name="codec"/> for <c>'T</c> (replacing the built-in encoding).</summary>
    member this.Register<'T>(codec: MsgPackCodec<'T>) = this.Register(codec :> IMsgPackCodec)

    /// <summary>
    /// Adds a factory consulted (in order, before the built-in codecs) for every type not
    /// registered: it returns a codec deriving from <c>MsgPackCodec&lt;T&gt;</c> for the type, or null.
    /// </summary>
    member this.AddFactory(factory: Func<Type, MsgPackCodecResolver, IMsgPackCodec>) =
        if isNull factory then nullArg (nameof factory)
        lock gate (fun () ->
            factories.Add factory
            cache.Clear()
            failures.Clear())

    /// <summary>The codec of <c>'T</c>, built on first use.</summary>
    member this.GetCodec<'T>() : MsgPackCodec<'T> = this.GetCodec(typeof<'T>) :?> MsgPackCodec<'T>

    /// <summary>
    /// The codec of <paramref name="t"/>, built on first use. Throws <see cref="T:TractorNet.Wire.UnserializableTypeException"/> for a type
    /// that cannot be serialised.
    /// </summary>
    member this.GetCodec(t: Type) : IMsgPackCodec =
        if isNull t then nullArg (nameof t)
        match cache.TryGetValue t with
        | true, codec -> codec
        | _ ->
            match failures.TryGetValue t with
            | true, e -> raise e
            | _ -> lock gate (fun () -> this.Build t)

    /// <summary>
    /// Throws <see cref="T:TractorNet.Wire.UnserializableTypeException"/> unless values of <paramref name="t"/> can be serialised.
    /// </summary>
    member this.Validate(t: Type) = this.GetCodec t |> ignore

    member private this.Build(t: Type) : IMsgPackCodec =
        if nesting > 0 then
            // A codec or factory being built asks for another codec: part of the same build.
            this.Resolve t
        else
            match cache.TryGetValue t with
            | true, codec -> codec
            | _ ->
                try
                    try
                        let codec = this.Resolve t
                        for KeyValue(k, c) in building do
                            cache[k] <- c
                        codec
                    with :? UnserializableTypeException as e ->
                        let e = e.From t
                        failures[t] <- e
                        raise e
                finally
                    building.Clear()

    member private this.Resolve(t: Type) : IMsgPackCodec =
        match cache.TryGetValue t with
        | true, codec -> codec
        | _ ->
            match building.TryGetValue t with
            | true, codec -> codec
            | _ ->
                match registered.TryGetValue t with
                | true, codec -> codec
                | _ ->
                    // A built-in primitive (only a registration or a factory could override it)
                    // needs no placeholder built by reflection.
                    match (if factories.Count = 0 then PrimitiveCodecs.tryCreate t else null) with
                    | null -> this.ResolveBuilt t
                    | primitive ->
                        building[t] <- primitive
                        primitive

    member private this.ResolveBuilt(t: Type) : IMsgPackCodec =
        nesting <- nesting + 1
        try
            if nesting > 100 then
                raise (UnserializableTypeException(t, "types nest too deeply (a generic type recursing on ever larger type arguments?)"))
            // Stands for `t` while it is built, so recursive types resolve to it.
            let deferred = typedefof<DeferredCodec<_>>.MakeGenericType t
            let placeholder = Activator.CreateInstance(deferred, [| box (predictNil t) |]) :?> IMsgPackCodec
            building[t] <- placeholder
            let codec = this.Create t
            deferred.GetProperty("Target", BindingFlags.Public ||| BindingFlags.NonPublic ||| BindingFlags.Instance).SetValue(placeholder, codec)
            building[t] <- codec
            codec
        finally
            nesting <- nesting - 1

    member private this.Create(t: Type) : IMsgPackCodec =
        let source =
            { new ICodecSource with
                member _.Member(memberType, description, segment) =
                    try
                        this.Resolve memberType
                    with :? UnserializableTypeException as e ->
                        raise (e.Within(description, segment)) }
        let fromFactory =
            factories
            |> Seq.tryPick (fun f ->
                match f.Invoke(t, this) with
                | null -> None
                | codec ->
                    checkCodec t codec
                    Some codec)
        match fromFactory with
        | Some codec -> codec
        | None ->
            match PrimitiveCodecs.tryCreate t with
            | null ->
                match rejection t with
                | Some reason -> raise (UnserializableTypeException(t, reason))
                | None ->
                    match CollectionCodecs.tryCreate source t with
                    | Some codec -> codec
                    | None ->
                        if FSharpType.IsTuple t then ObjectCodecs.tuple source t
                        elif FSharpType.IsRecord(t, flags) then ObjectCodecs.record source t
                        elif FSharpType.IsUnion(t, flags) then ObjectCodecs.union source t
                        else ObjectCodecs.plainObject source t
            | primitive -> primitive
