namespace TractorNet.Wire

open System

/// A point in time as the MessagePack timestamp extension (type -1) carries it: seconds since
/// the Unix epoch (UTC, may be negative) plus nanoseconds (0..999 999 999).
[<Struct; CustomEquality; NoComparison>]
type MsgPackTimestamp =
    /// Seconds since 1970-01-01T00:00:00Z.
    val Seconds: int64
    /// Nanoseconds within the second, 0..999 999 999.
    val Nanoseconds: uint32

    /// A timestamp; `nanoseconds` must be below one billion.
    new(seconds: int64, nanoseconds: uint32) =
        if nanoseconds >= 1_000_000_000u then
            raise (ArgumentOutOfRangeException(nameof nanoseconds, "nanoseconds must be below 1 000 000 000"))
        { Seconds = seconds; Nanoseconds = nanoseconds }

    /// The UTC `DateTime` of this timestamp (nanoseconds truncated to 100 ns ticks).
    /// Throws `ArgumentOutOfRangeException` outside years 1..9999.
    member this.ToDateTime() : DateTime =
        // DateTime's range in Unix seconds.
        if this.Seconds < -62135596800L || this.Seconds > 253402300799L then
            raise (ArgumentOutOfRangeException("timestamp", $"timestamp {this.Seconds}s is outside DateTime's range"))
        DateTime(DateTime.UnixEpoch.Ticks + this.Seconds * TimeSpan.TicksPerSecond + int64 (this.Nanoseconds / 100u), DateTimeKind.Utc)

    /// The timestamp of a `DateTime`: a `Local` value is converted to UTC, an `Unspecified`
    /// one is taken as UTC.
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

/// An extension value's header: its type code and the length of its data.
[<Struct>]
type MsgPackExtHeader =
    { /// The application-defined type code (negative codes are reserved by the specification).
      TypeCode: sbyte
      /// The number of data bytes that follow.
      Length: int }

/// An extension value: its type code and its data (a slice of the reader's input, not a copy).
[<Struct>]
type MsgPackExt =
    { /// The application-defined type code.
      TypeCode: sbyte
      /// The data bytes.
      Data: System.Buffers.ReadOnlySequence<byte> }
