namespace TractorNet.Wire

open System

/// <summary>
/// A point in time as the MessagePack timestamp extension (type -1) carries it: seconds since
/// the Unix epoch (UTC, may be negative) plus nanoseconds (0..999 999 999).
/// </summary>
[<Struct; CustomEquality; NoComparison>]
type MsgPackTimestamp =
    /// <summary>Seconds since 1970-01-01T00:00:00Z.</summary>
    val Seconds: int64
    /// <summary>Nanoseconds within the second, 0..999 999 999.</summary>
    val Nanoseconds: uint32

    /// <summary>A timestamp; <paramref name="nanoseconds"/> must be below one billion.</summary>
    new(seconds: int64, nanoseconds: uint32) =
        if nanoseconds >= 1_000_000_000u then
            raise (ArgumentOutOfRangeException(nameof nanoseconds, "nanoseconds must be below 1 000 000 000"))
        { Seconds = seconds; Nanoseconds = nanoseconds }

    /// <summary>
    /// The UTC <c>DateTime</c> of this timestamp (nanoseconds truncated to 100 ns ticks).
    /// Throws <c>ArgumentOutOfRangeException</c> outside years 1..9999.
    /// </summary>
    member this.ToDateTime() : DateTime =
        // DateTime's range in Unix seconds.
        if this.Seconds < -62135596800L || this.Seconds > 253402300799L then
            raise (ArgumentOutOfRangeException("timestamp", $"timestamp {this.Seconds}s is outside DateTime's range"))
        DateTime(DateTime.UnixEpoch.Ticks + this.Seconds * TimeSpan.TicksPerSecond + int64 (this.Nanoseconds / 100u), DateTimeKind.Utc)

    /// <summary>
    /// The timestamp of a <c>DateTime</c>: a <c>Local</c> value is converted to UTC, an <c>Unspecified</c>
    /// one is taken as UTC.
    /// </summary>
    static member FromDateTime(value: DateTime) =
        let utc = if value.Kind = DateTimeKind.Local then value.ToUniversalTime() else value
        let ticks = utc.Ticks - DateTime.UnixEpoch.Ticks
        let seconds = ticks / TimeSpan.TicksPerSecond
        let seconds, rest =
            let r = ticks - seconds * TimeSpan.TicksPerSecond
            if r < 0L then seconds - 1L, r + TimeSpan.TicksPerSecond else seconds, r
        MsgPackTimestamp(seconds, uint32 (rest * 100L))

    override this.Equals(other: obj) =
        match other with
        | :? MsgPackTimestamp as t -> t.Seconds = this.Seconds && t.Nanoseconds = this.Nanoseconds
        | _ -> false

    override this.GetHashCode() = HashCode.Combine(this.Seconds, this.Nanoseconds)
    override this.ToString() = $"{this.Seconds}.%09d{this.Nanoseconds}"

    interface IEquatable<MsgPackTimestamp> with
        member this.Equals(t) = t.Seconds = this.Seconds && t.Nanoseconds = this.Nanoseconds

/// <summary>An extension value's header: its type code and the length of its data.</summary>
[<Struct>]
type MsgPackExtHeader =
    { /// <summary>The application-defined type code (negative codes are reserved by the specification).</summary>
      TypeCode: sbyte
      /// <summary>The number of data bytes that follow.</summary>
      Length: int }

/// <summary>An extension value: its type code and its data (a slice of the reader's input, not a copy).</summary>
[<Struct>]
type MsgPackExt =
    { /// <summary>The application-defined type code.</summary>
      TypeCode: sbyte
      /// <summary>The data bytes.</summary>
      Data: System.Buffers.ReadOnlySequence<byte> }
