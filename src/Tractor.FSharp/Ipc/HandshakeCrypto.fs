namespace TractorNet.Ipc

open System
open System.Buffers.Binary
open System.IO
open System.Runtime.CompilerServices
open System.Security.Cryptography

/// The handshake's primitives without the platform crypto library: SHA-256 (FIPS 180-4),
/// HMAC-SHA256 (RFC 2104), a constant-time comparison and random bytes from the kernel. The
/// algorithms are the standard ones (tests check them against System.Security.Cryptography and
/// the RFC 4231 vectors); what this saves is loading and initialising OpenSSL in every new
/// actor, which costs several milliseconds of its start-up for hashing a few hundred bytes.
module internal HandshakeCrypto =
    let private k =
        [| 0x428a2f98u; 0x71374491u; 0xb5c0fbcfu; 0xe9b5dba5u; 0x3956c25bu; 0x59f111f1u; 0x923f82a4u; 0xab1c5ed5u
           0xd807aa98u; 0x12835b01u; 0x243185beu; 0x550c7dc3u; 0x72be5d74u; 0x80deb1feu; 0x9bdc06a7u; 0xc19bf174u
           0xe49b69c1u; 0xefbe4786u; 0x0fc19dc6u; 0x240ca1ccu; 0x2de92c6fu; 0x4a7484aau; 0x5cb0a9dcu; 0x76f988dau
           0x983e5152u; 0xa831c66du; 0xb00327c8u; 0xbf597fc7u; 0xc6e00bf3u; 0xd5a79147u; 0x06ca6351u; 0x14292967u
           0x27b70a85u; 0x2e1b2138u; 0x4d2c6dfcu; 0x53380d13u; 0x650a7354u; 0x766a0abbu; 0x81c2c92eu; 0x92722c85u
           0xa2bfe8a1u; 0xa81a664bu; 0xc24b8b70u; 0xc76c51a3u; 0xd192e819u; 0xd6990624u; 0xf40e3585u; 0x106aa070u
           0x19a4c116u; 0x1e376c08u; 0x2748774cu; 0x34b0bcb5u; 0x391c0cb3u; 0x4ed8aa4au; 0x5b9cca4fu; 0x682e6ff3u
           0x748f82eeu; 0x78a5636fu; 0x84c87814u; 0x8cc70208u; 0x90befffau; 0xa4506cebu; 0xbef9a3f7u; 0xc67178f2u |]

    let inline private rotr (x: uint32) (n: int) = (x >>> n) ||| (x <<< (32 - n))

    /// Processes one 64-byte block into the state `h`.
    let private compress (h: uint32[]) (block: ReadOnlySpan<byte>) (w: uint32[]) =
        for t in 0..15 do
            w[t] <- BinaryPrimitives.ReadUInt32BigEndian(block.Slice(4 * t, 4))

        for t in 16..63 do
            let s0 = rotr w[t - 15] 7 ^^^ rotr w[t - 15] 18 ^^^ (w[t - 15] >>> 3)
            let s1 = rotr w[t - 2] 17 ^^^ rotr w[t - 2] 19 ^^^ (w[t - 2] >>> 10)
            w[t] <- w[t - 16] + s0 + w[t - 7] + s1

        let mutable a = h[0]
        let mutable b = h[1]
        let mutable c = h[2]
        let mutable d = h[3]
        let mutable e = h[4]
        let mutable f = h[5]
        let mutable g = h[6]
        let mutable hh = h[7]

        for t in 0..63 do
            let s1 = rotr e 6 ^^^ rotr e 11 ^^^ rotr e 25
            let ch = (e &&& f) ^^^ (~~~e &&& g)
            let t1 = hh + s1 + ch + k[t] + w[t]
            let s0 = rotr a 2 ^^^ rotr a 13 ^^^ rotr a 22
            let maj = (a &&& b) ^^^ (a &&& c) ^^^ (b &&& c)
            let t2 = s0 + maj
            hh <- g
            g <- f
            f <- e
            e <- d + t1
            d <- c
            c <- b
            b <- a
            a <- t1 + t2

        h[0] <- h[0] + a
        h[1] <- h[1] + b
        h[2] <- h[2] + c
        h[3] <- h[3] + d
        h[4] <- h[4] + e
        h[5] <- h[5] + f
        h[6] <- h[6] + g
        h[7] <- h[7] + hh

    /// SHA-256 of the concatenation of `first` and `second` (HMAC hashes a pad then the data).
    let private sha256Of2 (first: ReadOnlySpan<byte>) (second: ReadOnlySpan<byte>) : byte[] =
        let h =
            [| 0x6a09e667u; 0xbb67ae85u; 0x3c6ef372u; 0xa54ff53au; 0x510e527fu; 0x9b05688cu; 0x1f83d9abu; 0x5be0cd19u |]

        let w = Array.zeroCreate<uint32> 64
        let total = first.Length + second.Length
        // The message and its padding (0x80, zeros, 64-bit bit length) in whole blocks.
        let padded = Array.zeroCreate<byte> ((total + 9 + 63) / 64 * 64)
        first.CopyTo(Span padded)
        second.CopyTo(Span(padded, first.Length, second.Length))
        padded[total] <- 0x80uy
        BinaryPrimitives.WriteUInt64BigEndian(Span(padded, padded.Length - 8, 8), uint64 total * 8UL)

        for offset in 0..64 .. padded.Length - 64 do
            compress h (ReadOnlySpan(padded, offset, 64)) w

        let digest = Array.zeroCreate<byte> 32

        for i in 0..7 do
            BinaryPrimitives.WriteUInt32BigEndian(Span(digest, 4 * i, 4), h[i])

        digest

    /// SHA-256 of `data`.
    let sha256 (data: ReadOnlySpan<byte>) : byte[] = sha256Of2 data ReadOnlySpan.Empty

    /// HMAC-SHA256 of `data` under `key`.
    let hmacSha256 (key: ReadOnlySpan<byte>) (data: ReadOnlySpan<byte>) : byte[] =
        let key = if key.Length > 64 then ReadOnlySpan(sha256 key) else key
        let ipad = Array.create 64 0x36uy
        let opad = Array.create 64 0x5cuy

        for i in 0..key.Length - 1 do
            ipad[i] <- ipad[i] ^^^ key[i]
            opad[i] <- opad[i] ^^^ key[i]

        let inner = sha256Of2 (ReadOnlySpan ipad) data
        sha256Of2 (ReadOnlySpan opad) (ReadOnlySpan inner)

    /// Equal contents, in time independent of where they differ.
    [<MethodImpl(MethodImplOptions.NoInlining ||| MethodImplOptions.NoOptimization)>]
    let fixedTimeEquals (a: ReadOnlySpan<byte>) (b: ReadOnlySpan<byte>) : bool =
        if a.Length <> b.Length then
            false
        else
            let mutable diff = 0

            for i in 0 .. a.Length - 1 do
                diff <- diff ||| int (a[i] ^^^ b[i])

            diff = 0

    /// `count` bytes from the kernel's CSPRNG (/dev/urandom; the platform generator elsewhere).
    let randomBytes (count: int) : byte[] =
        let bytes = Array.zeroCreate<byte> count

        let fromKernel =
            try
                use handle = File.OpenHandle("/dev/urandom", FileMode.Open, FileAccess.Read)
                let mutable filled = 0

                while filled < count do
                    let n = RandomAccess.Read(handle, Span(bytes, filled, count - filled), 0L)
                    if n <= 0 then raise (IOException "short read from /dev/urandom")
                    filled <- filled + n

                true
            with _ ->
                false

        if not fromKernel then
            RandomNumberGenerator.Fill(Span bytes)

        bytes
