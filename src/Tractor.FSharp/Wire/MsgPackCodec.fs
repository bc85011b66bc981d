namespace TractorNet.Wire

open System
open System.Reflection
open Microsoft.FSharp.Reflection

/// <summary>A codec seen without its type parameter (for <c>Type</c>-based serialisation).</summary>
[<AllowNullLiteral>]
type IMsgPackCodec =
    /// <summary>The type this codec reads and writes.</summary>
    abstract ValueType: Type
    /// <summary>True when some value may be written as nil (an option of this type then wraps <c>Some</c>).</summary>
    abstract CanWriteNil: bool
    /// <summary>Writes a boxed value.</summary>
    abstract WriteObject: writer: byref<MsgPackWriter> * value: obj -> unit
    /// <summary>Reads a value, boxed.</summary>
    abstract ReadObject: reader: byref<MsgPackReader> -> obj

/// <summary>
/// Writes values of one type to a <see cref="T:TractorNet.Wire.MsgPackWriter"/> and reads them back. Subclass it to give a
/// type a custom encoding (<c>MsgPackCodecResolver.Register</c>). Codecs are built once per type and
/// shared between threads: keep them stateless.
/// </summary>
[<AbstractClass>]
type MsgPackCodec<'T>() =
    /// <summary>Writes <paramref name="value"/> as one MessagePack value.</summary>
    abstract Write: writer: byref<MsgPackWriter> * value: 'T -> unit

    /// <summary>Reads one MessagePack value.</summary>
    abstract Read: reader: byref<MsgPackReader> -> 'T

    /// <summary>
    /// True when some value may be written as nil. <c>Some x</c> of an option of this type is then
    /// written as <c>[x]</c> so it cannot be confused with <c>None</c>. Defaults to true (always safe).
    /// </summary>
    abstract CanWriteNil: bool

    default _.CanWriteNil = true

    interface IMsgPackCodec with
        member _.ValueType = typeof<'T>
        member this.CanWriteNil = this.CanWriteNil

        member this.WriteObject(writer, value) =
            if isNull value && typeof<'T>.IsValueType then
                raise (ArgumentNullException(nameof value, $"null is not a value of {typeof<'T>.Name}"))
            this.Write(&writer, unbox<'T> value)

        member this.ReadObject(reader) = box (this.Read(&reader))

/// <summary>
/// Raised when a codec is built for a type that cannot be serialised (a function, a delegate,
/// an interface, <c>obj</c> without a registered codec...). It names the offending member and the
/// path from the serialised type down to it, e.g. "cannot serialise field <c>Callback</c> of record
/// <c>Job</c>: function types are not serialisable (path: Job.Callback)".
/// </summary>
type UnserializableTypeException(offendingType: Type, reason: string, memberDescription: string, path: string) =
    inherit
        MsgPackException(
            let what =
                if isNull memberDescription then $"type `{TypeNames.describe offendingType}`" else memberDescription
            let where = if String.IsNullOrEmpty path then "" else $" (path: {path})"
            $"cannot serialise {what}: {reason}{where}"
        )

    /// <summary>A failure for <paramref name="offendingType"/> itself, not yet placed in a containing type.</summary>
    new(offendingType: Type, reason: string) = UnserializableTypeException(offendingType, reason, null, "")

    /// <summary>The type that cannot be serialised.</summary>
    member _.OffendingType = offendingType
    /// <summary>Why it cannot.</summary>
    member _.Reason = reason
    /// <summary>
    /// The innermost member holding it, e.g. "field <c>Callback</c> of record <c>Job</c>" (null if none).
    /// </summary>
    member _.MemberDescription = memberDescription
    /// <summary>The member path from the serialised type, e.g. "Order.Jobs[].Callback".</summary>
    member _.MemberPath = path

    /// The same failure seen from a containing member.
    member internal _.Within(description: string, segment: string) =
        let description = if isNull memberDescription then description else memberDescription
        UnserializableTypeException(offendingType, reason, description, segment + path)

    /// The same failure seen from the root type being serialised.
    member internal this.From(root: Type) =
        if String.IsNullOrEmpty path then this
        else UnserializableTypeException(offendingType, reason, memberDescription, TypeNames.describe root + path)

/// F#-style names of types for messages ("int -> unit", "string option", "Map<string, int>").
and internal TypeNames =
    /// A type argument of a postfix type (`(int -> int) option`, `(int * int) list`).
    static member postfix(t: Type) : string =
        let name = TypeNames.describe t
        if FSharpType.IsFunction t || (FSharpType.IsTuple t && not t.IsValueType) then $"({name})" else name

    static member describe(t: Type) : string =
        if isNull t then
            "null"
        elif t.IsArray then
            TypeNames.postfix (t.GetElementType()) + "[]"
        elif FSharpType.IsFunction t then
            let a, b = FSharpType.GetFunctionElements t
            let a' = TypeNames.describe a
            let a' = if FSharpType.IsFunction a then $"({a'})" else a'
            $"{a'} -> {TypeNames.describe b}"
        elif FSharpType.IsTuple t then
            FSharpType.GetTupleElements t |> Array.map TypeNames.describe |> String.concat " * "
            |> fun s -> if t.IsValueType then $"struct ({s})" else s
        elif t.IsGenericType then
            let args = t.GetGenericArguments() |> Array.map TypeNames.describe
            let def = t.GetGenericTypeDefinition()
            let arg = TypeNames.postfix (t.GetGenericArguments()[0])
            if def = typedefof<option<_>> then $"{arg} option"
            elif def = typedefof<voption<_>> then $"{arg} voption"
            elif def = typedefof<list<_>> then $"{arg} list"
            else
                let name = t.Name
                let name = match name.IndexOf '`' with -1 -> name | i -> name.Substring(0, i)
                let name = if name = "FSharpList" then "list" elif name.StartsWith "FSharp" then name.Substring 6 else name
                $"""{name}<{String.Join(", ", args)}>"""
        else
            match t.FullName with
            | "System.Int32" -> "int"
            | "System.Int64" -> "int64"
            | "System.Int16" -> "int16"
            | "System.SByte" -> "sbyte"
            | "System.Byte" -> "byte"
            | "System.UInt16" -> "uint16"
            | "System.UInt32" -> "uint32"
            | "System.UInt64" -> "uint64"
            | "System.Double" -> "float"
            | "System.Single" -> "float32"
            | "System.Decimal" -> "decimal"
            | "System.Boolean" -> "bool"
            | "System.String" -> "string"
            | "System.Char" -> "char"
            | "System.Object" -> "obj"
            | "Microsoft.FSharp.Core.Unit" -> "unit"
            | _ -> t.Name

/// Resolves the codecs of the types a codec being built contains (internal to codec building).
type internal ICodecSource =
    /// The codec of a contained type. A failure is reported as being in `description` (e.g.
    /// "field `X` of record `R`"; null to keep the inner one) at path `segment` (e.g. ".X", "[]").
    abstract Member: memberType: Type * description: string * segment: string -> IMsgPackCodec

/// A codec whose target is set once built: it stands for a recursive type while its own codec
/// is being built.
type internal DeferredCodec<'T>(canWriteNil: bool) =
    inherit MsgPackCodec<'T>()
    member val Target: MsgPackCodec<'T> = Unchecked.defaultof<_> with get, set
    override this.Write(writer, value) = this.Target.Write(&writer, value)
    override this.Read(reader) = this.Target.Read(&reader)
    override _.CanWriteNil = canWriteNil
