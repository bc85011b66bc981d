namespace TractorNet.Wire

/// <summary>The family of a MessagePack value, as told by its first byte.</summary>
type MsgPackType =
    /// <summary>The byte 0xc1, which the specification never uses.</summary>
    | Invalid = 0
    /// <summary>nil.</summary>
    | Nil = 1
    /// <summary>true / false.</summary>
    | Boolean = 2
    /// <summary>Any integer encoding (fixint, uint8..64, int8..64).</summary>
    | Integer = 3
    /// <summary>float32 or float64.</summary>
    | Float = 4
    /// <summary>str (UTF-8 text).</summary>
    | String = 5
    /// <summary>bin (raw bytes).</summary>
    | Binary = 6
    /// <summary>array header.</summary>
    | Array = 7
    /// <summary>map header.</summary>
    | Map = 8
    /// <summary>ext (type code + bytes), including the timestamp extension.</summary>
    | Extension = 9

/// The format's byte codes (the MessagePack specification's names).
module internal MsgPackCode =
    [<Literal>]
    let MaxFixInt = 0x7fuy
    [<Literal>]
    let FixMap = 0x80uy
    [<Literal>]
    let FixArray = 0x90uy
    [<Literal>]
    let FixStr = 0xa0uy
    [<Literal>]
    let Nil = 0xc0uy
    [<Literal>]
    let NeverUsed = 0xc1uy
    [<Literal>]
    let False = 0xc2uy
    [<Literal>]
    let True = 0xc3uy
    [<Literal>]
    let Bin8 = 0xc4uy
    [<Literal>]
    let Bin16 = 0xc5uy
    [<Literal>]
    let Bin32 = 0xc6uy
    [<Literal>]
    let Ext8 = 0xc7uy
    [<Literal>]
    let Ext16 = 0xc8uy
    [<Literal>]
    let Ext32 = 0xc9uy
    [<Literal>]
    let Float32 = 0xcauy
    [<Literal>]
    let Float64 = 0xcbuy
    [<Literal>]
    let UInt8 = 0xccuy
    [<Literal>]
    let UInt16 = 0xcduy
    [<Literal>]
    let UInt32 = 0xceuy
    [<Literal>]
    let UInt64 = 0xcfuy
    [<Literal>]
    let Int8 = 0xd0uy
    [<Literal>]
    let Int16 = 0xd1uy
    [<Literal>]
    let Int32 = 0xd2uy
    [<Literal>]
    let Int64 = 0xd3uy
    [<Literal>]
    let FixExt1 = 0xd4uy
    [<Literal>]
    let FixExt2 = 0xd5uy
    [<Literal>]
    let FixExt4 = 0xd6uy
    [<Literal>]
    let FixExt8 = 0xd7uy
    [<Literal>]
    let FixExt16 = 0xd8uy
    [<Literal>]
    let Str8 = 0xd9uy
    [<Literal>]
    let Str16 = 0xdauy
    [<Literal>]
    let Str32 = 0xdbuy
    [<Literal>]
    let Array16 = 0xdcuy
    [<Literal>]
    let Array32 = 0xdduy
    [<Literal>]
    let Map16 = 0xdeuy
    [<Literal>]
    let Map32 = 0xdfuy
    [<Literal>]
    let MinNegativeFixInt = 0xe0uy

    /// The extension type code of the timestamp extension.
    [<Literal>]
    let TimestampExt = -1y

    /// The value family of a first byte.
    let typeOf (code: byte) : MsgPackType =
        if code <= MaxFixInt || code >= MinNegativeFixInt then MsgPackType.Integer
        elif code < FixArray then MsgPackType.Map
        elif code < FixStr then MsgPackType.Array
        elif code < Nil then MsgPackType.String
        else
            match code with
            | Nil -> MsgPackType.Nil
            | False
            | True -> MsgPackType.Boolean
            | Bin8
            | Bin16
            | Bin32 -> MsgPackType.Binary
            | Ext8
            | Ext16
            | Ext32
            | FixExt1
            | FixExt2
            | FixExt4
            | FixExt8
            | FixExt16 -> MsgPackType.Extension
            | Float32
            | Float64 -> MsgPackType.Float
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Int8
            | Int16
            | Int32
            | Int64 -> MsgPackType.Integer
            | Str8
            | Str16
            | Str32 -> MsgPackType.String
            | Array16
            | Array32 -> MsgPackType.Array
            | Map16
            | Map32 -> MsgPackType.Map
            | _ -> MsgPackType.Invalid

    /// A short human name of what a first byte starts, for error messages.
    let describe (code: byte) =
        match typeOf code with
        | MsgPackType.Nil -> "nil"
        | MsgPackType.Boolean -> "bool"
        | MsgPackType.Integer -> "int"
        | MsgPackType.Float -> "float"
        | MsgPackType.String -> "str"
        | MsgPackType.Binary -> "bin"
        | MsgPackType.Array -> "array"
        | MsgPackType.Map -> "map"
        | MsgPackType.Extension -> "ext"
        | _ -> $"the never-used byte 0x%02x{code}"
