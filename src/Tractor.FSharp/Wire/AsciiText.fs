namespace TractorNet.Wire

#nowarn "9" // a stack buffer for the characters of a short string

open System
open Microsoft.FSharp.NativeInterop

/// Short ASCII text converted with plain loops. The runtime's vectorised UTF-8 transcoders load
/// the SIMD vector types on first use (~2-4 ms in a fresh process); the protocol's strings are
/// mostly short ASCII names, so a starting actor need not pay that before its first call. Longer
/// or non-ASCII text takes the UTF-8 path.
module internal AsciiText =
    /// The longest text converted here, in characters (or bytes).
    [<Literal>]
    let MaxLength = 64

    /// Whether `chars` is at most `MaxLength` characters, all ASCII.
    let isShortAscii (chars: ReadOnlySpan<char>) =
        if chars.Length > MaxLength then
            false
        else
            let mutable ascii = true
            let mutable i = 0

            while ascii && i < chars.Length do
                ascii <- chars[i] < '\u0080'
                i <- i + 1

            ascii

    /// Writes ASCII `chars` (checked with `isShortAscii`) to `dest`, one byte each.
    let narrow (chars: ReadOnlySpan<char>) (dest: Span<byte>) =
        for i in 0 .. chars.Length - 1 do
            dest[i] <- byte chars[i]

    /// The string for `bytes` if they are at most `MaxLength` ASCII bytes; null otherwise.
    let tryDecode (bytes: ReadOnlySpan<byte>) : string =
        if bytes.Length > MaxLength then
            null
        else
            let chars = Span<char>(NativePtr.toVoidPtr (NativePtr.stackalloc<char> MaxLength), MaxLength)
            let mutable ascii = true
            let mutable i = 0

            while ascii && i < bytes.Length do
                let b = bytes[i]

                if b < 128uy then
                    chars[i] <- char b
                    i <- i + 1
                else
                    ascii <- false

            if ascii then chars.Slice(0, bytes.Length).ToString() else null
