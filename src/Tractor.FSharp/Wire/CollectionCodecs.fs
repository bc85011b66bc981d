namespace TractorNet.Wire

open System
open System.Collections.Generic
open System.Runtime.CompilerServices
open Microsoft.FSharp.Core.CompilerServices

/// `None` is nil; `Some x` is x, or `[x]` when x's codec may itself write nil (so `Some None`,
/// `Some null` and `Some ()` stay distinct from `None`).
type internal OptionCodec<'T>(inner: MsgPackCodec<'T>) =
    inherit MsgPackCodec<'T option>()
    let wrapped = inner.CanWriteNil

    static member internal ReadWrapped(r: byref<MsgPackReader>) =
        let start = r.Consumed
        let n = r.ReadArrayHeader()
        if n <> 1 then
            raise (MsgPackDecodeException($"Some of {TypeNames.describe typeof<'T>} is written [value], found an array of {n}", start))

    override _.Write(w, v) =
        match v with
        | None -> w.WriteNil()
        | Some x ->
            if wrapped then w.WriteArrayHeader 1
            inner.Write(&w, x)

    override _.Read(r) =
        if r.TryReadNil() then
            None
        else
            if wrapped then OptionCodec<'T>.ReadWrapped &r
            Some(inner.Read &r)

/// As `OptionCodec`, for value options.
type internal ValueOptionCodec<'T>(inner: MsgPackCodec<'T>) =
    inherit MsgPackCodec<'T voption>()
    let wrapped = inner.CanWriteNil

    override _.Write(w, v) =
        match v with
        | ValueNone -> w.WriteNil()
        | ValueSome x ->
            if wrapped then w.WriteArrayHeader 1
            inner.Write(&w, x)

    override _.Read(r) =
        if r.TryReadNil() then
            ValueNone
        else
            if wrapped then OptionCodec<'T>.ReadWrapped &r
            ValueSome(inner.Read &r)

/// As `OptionCodec`, for `Nullable<T>`.
type internal NullableCodec<'T when 'T: (new: unit -> 'T) and 'T: struct and 'T :> ValueType>(inner: MsgPackCodec<'T>) =
    inherit MsgPackCodec<Nullable<'T>>()
    let wrapped = inner.CanWriteNil

    override _.Write(w, v) =
        if v.HasValue then
            if wrapped then w.WriteArrayHeader 1
            inner.Write(&w, v.Value)
        else
            w.WriteNil()

    override _.Read(r) =
        if r.TryReadNil() then
            Nullable()
        else
            if wrapped then OptionCodec<'T>.ReadWrapped &r
            Nullable(inner.Read &r)

/// array; a null array is nil.
type internal ArrayCodec<'T>(item: MsgPackCodec<'T>) =
    inherit MsgPackCodec<'T array>()

    override _.Write(w, v) =
        if isNull v then
            w.WriteNil()
        else
            w.WriteArrayHeader v.Length
            for x in v do
                item.Write(&w, x)

    override _.Read(r) =
        if r.TryReadNil() then
            null
        else
            let n = r.ReadArrayHeader()
            let a = Array.zeroCreate n
            for i in 0 .. n - 1 do
                a[i] <- item.Read &r
            a

/// array.
type internal ListCodec<'T>(item: MsgPackCodec<'T>) =
    inherit MsgPackCodec<'T list>()
    override _.CanWriteNil = false

    override _.Write(w, v) =
        w.WriteArrayHeader v.Length
        for x in v do
            item.Write(&w, x)

    override _.Read(r) =
        let n = r.ReadArrayHeader()
        let mutable items = ListCollector<'T>()
        for _ in 1..n do
            items.Add(item.Read &r)
        items.Close()

/// array; a null list is nil.
type internal ResizeArrayCodec<'T>(item: MsgPackCodec<'T>) =
    inherit MsgPackCodec<ResizeArray<'T>>()

    override _.Write(w, v) =
        if isNull v then
            w.WriteNil()
        else
            w.WriteArrayHeader v.Count
            for x in v do
                item.Write(&w, x)

    override _.Read(r) =
        if r.TryReadNil() then
            null
        else
            let n = r.ReadArrayHeader()
            let a = ResizeArray<'T>(n)
            for _ in 1..n do
                a.Add(item.Read &r)
            a

/// array (in the set's order).
type internal SetCodec<'T when 'T: comparison>(item: MsgPackCodec<'T>) =
    inherit MsgPackCodec<Set<'T>>()
    override _.CanWriteNil = false

    override _.Write(w, v) =
        w.WriteArrayHeader v.Count
        for x in v do
            item.Write(&w, x)

    override _.Read(r) =
        let n = r.ReadArrayHeader()
        let mutable s = Set.empty
        for _ in 1..n do
            s <- s.Add(item.Read &r)
        s

/// array; a null set is nil.
type internal HashSetCodec<'T when 'T: equality>(item: MsgPackCodec<'T>) =
    inherit MsgPackCodec<HashSet<'T>>()

    override _.Write(w, v) =
        if isNull v then
            w.WriteNil()
        else
            w.WriteArrayHeader v.Count
            for x in v do
                item.Write(&w, x)

    override _.Read(r) =
        if r.TryReadNil() then
            null
        else
            let n = r.ReadArrayHeader()
            let s = HashSet<'T>(n)
            for _ in 1..n do
                s.Add(item.Read &r) |> ignore
            s

/// map (a repeated key: the last one wins).
type internal MapCodec<'K, 'V when 'K: comparison>(key: MsgPackCodec<'K>, value: MsgPackCodec<'V>) =
    inherit MsgPackCodec<Map<'K, 'V>>()
    override _.CanWriteNil = false

    override _.Write(w, m) =
        w.WriteMapHeader m.Count
        for KeyValue(k, v) in m do
            key.Write(&w, k)
            value.Write(&w, v)

    override _.Read(r) =
        let n = r.ReadMapHeader()
        let mutable m = Map.empty
        for _ in 1..n do
            let k = key.Read &r
            let v = value.Read &r
            m <- m.Add(k, v)
        m

/// map (a repeated key: the last one wins); a null dictionary is nil.
type internal DictionaryCodec<'K, 'V when 'K: equality>(key: MsgPackCodec<'K>, value: MsgPackCodec<'V>) =
    inherit MsgPackCodec<Dictionary<'K, 'V>>()

    override _.Write(w, d) =
        if isNull d then
            w.WriteNil()
        else
            w.WriteMapHeader d.Count
            for KeyValue(k, v) in d do
                key.Write(&w, k)
                value.Write(&w, v)

    override _.Read(r) =
        if r.TryReadNil() then
            null
        else
            let start = r.Consumed
            let n = r.ReadMapHeader()
            let d = Dictionary<'K, 'V>(n)
            for _ in 1..n do
                let k = key.Read &r
                if isNull (box k) then raise (MsgPackDecodeException("a dictionary key is nil", start))
                d[k] <- value.Read &r
            d

/// The enum's underlying integer.
type internal EnumCodec<'E, 'U>(inner: MsgPackCodec<'U>) =
    inherit MsgPackCodec<'E>()
    override _.CanWriteNil = false

    override _.Write(w, v) =
        let mutable v = v
        inner.Write(&w, Unsafe.As<'E, 'U>(&v))

    override _.Read(r) =
        let mutable u = inner.Read &r
        Unsafe.As<'U, 'E>(&u)

/// Codecs of the standard containers, built for a given type.
module internal CollectionCodecs =
    let private make (definition: Type) (args: Type array) (codecs: IMsgPackCodec list) =
        Activator.CreateInstance(definition.MakeGenericType args, codecs |> List.map box |> Array.ofList) :?> IMsgPackCodec

    /// The codec of `t` if it is an option, nullable, collection or enum type.
    let tryCreate (source: ICodecSource) (t: Type) : IMsgPackCodec option =
        let inner (arg: Type) segment = source.Member(arg, null, segment)
        if t.IsEnum then
            let u = Enum.GetUnderlyingType t
            Some(make typedefof<EnumCodec<_, _>> [| t; u |] [ inner u "" ])
        elif t.IsArray then
            let e = t.GetElementType()
            Some(make typedefof<ArrayCodec<_>> [| e |] [ inner e "[]" ])
        elif not t.IsGenericType then
            None
        else
            let args = t.GetGenericArguments()
            let one definition segment = Some(make definition args [ inner args[0] segment ])
            let two definition = Some(make definition args [ inner args[0] "[key]"; inner args[1] "[]" ])
            let def = t.GetGenericTypeDefinition()
            if def = typedefof<option<_>> then one typedefof<OptionCodec<_>> ""
            elif def = typedefof<voption<_>> then one typedefof<ValueOptionCodec<_>> ""
            elif def = typedefof<Nullable<_>> then one typedefof<NullableCodec<_>> ""
            elif def = typedefof<list<_>> then one typedefof<ListCodec<_>> "[]"
            elif def = typedefof<ResizeArray<_>> then one typedefof<ResizeArrayCodec<_>> "[]"
            elif def = typedefof<Set<_>> then one typedefof<SetCodec<_>> "[]"
            elif def = typedefof<HashSet<_>> then one typedefof<HashSetCodec<_>> "[]"
            elif def = typedefof<Map<_, _>> then two typedefof<MapCodec<_, _>>
            elif def = typedefof<Dictionary<_, _>> then two typedefof<DictionaryCodec<_, _>>
            else None
