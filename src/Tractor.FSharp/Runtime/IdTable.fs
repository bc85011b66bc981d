namespace TractorNet.Runtime

open System.Runtime.InteropServices
open System.Threading

/// One entry of an `IdTable` bucket chain.
[<Sealed; AllowNullLiteral>]
type internal IdTableEntry<'T>(key: int64, value: 'T, next: IdTableEntry<'T>) =
    member _.Key = key
    member val Value = value with get, set
    member val Next = next with get, set

/// A thread-safe table from call and stream ids to their state (a peer's calls in flight): a
/// lock around chained buckets. Why not `ConcurrentDictionary<int64, _>`: no precompiled image
/// holds its instantiation over int64 keys, so a new actor JIT-compiled ~20 of its methods before
/// answering its first call. This one is compiled ahead of time with the library. The tables
/// stay small (what is in flight), so one uncontended lock per operation is cheap.
[<Sealed>]
type internal IdTable<'T>() =
    let gate = obj ()
    let mutable buckets: IdTableEntry<'T>[] = Array.zeroCreate 16
    let mutable count = 0

    static let slot (key: int64) (length: int) =
        int (key ^^^ (key >>> 32)) &&& (length - 1)

    let find (key: int64) =
        let mutable e = buckets[slot key buckets.Length]

        while not (isNull e) && e.Key <> key do
            e <- e.Next

        e

    let grow () =
        let bigger: IdTableEntry<'T>[] = Array.zeroCreate (buckets.Length * 2)

        for head in buckets do
            let mutable e = head

            while not (isNull e) do
                let next = e.Next
                let i = slot e.Key bigger.Length
                e.Next <- bigger[i]
                bigger[i] <- e
                e <- next

        buckets <- bigger

    /// Adds or replaces the value for `key`.
    member _.Item
        with set (key: int64) (value: 'T) =
            Monitor.Enter gate

            try
                match find key with
                | null ->
                    let i = slot key buckets.Length
                    buckets[i] <- IdTableEntry(key, value, buckets[i])
                    count <- count + 1

                    if count > buckets.Length then
                        grow ()
                | e -> e.Value <- value
            finally
                Monitor.Exit gate

    /// The value for `key`, if present.
    member _.TryGetValue(key: int64, [<Out>] value: byref<'T>) : bool =
        Monitor.Enter gate

        try
            match find key with
            | null ->
                value <- Unchecked.defaultof<'T>
                false
            | e ->
                value <- e.Value
                true
        finally
            Monitor.Exit gate

    /// Whether `key` is present.
    member _.ContainsKey(key: int64) : bool =
        Monitor.Enter gate

        try
            not (isNull (find key))
        finally
            Monitor.Exit gate

    /// Removes `key`; true (and its value) if it was present.
    member _.TryRemove(key: int64, [<Out>] value: byref<'T>) : bool =
        Monitor.Enter gate

        try
            let i = slot key buckets.Length
            let mutable previous: IdTableEntry<'T> = null
            let mutable e = buckets[i]

            while not (isNull e) && e.Key <> key do
                previous <- e
                e <- e.Next

            if isNull e then
                value <- Unchecked.defaultof<'T>
                false
            else
                if isNull previous then buckets[i] <- e.Next else previous.Next <- e.Next
                count <- count - 1
                value <- e.Value
                true
        finally
            Monitor.Exit gate

    /// Removes `key` if present.
    member this.Remove(key: int64) : unit =
        let mutable ignored = Unchecked.defaultof<'T>
        this.TryRemove(key, &ignored) |> ignore

    /// How many entries there are.
    member _.Count =
        Monitor.Enter gate

        try
            count
        finally
            Monitor.Exit gate

    /// `project` of each entry present now, in a new array (a copy: the table may change while
    /// the caller walks it).
    member private _.Snapshot<'R>(project: IdTableEntry<'T> -> 'R) : 'R[] =
        Monitor.Enter gate

        try
            let copy = Array.zeroCreate count
            let mutable n = 0

            for head in buckets do
                let mutable e = head

                while not (isNull e) do
                    copy[n] <- project e
                    n <- n + 1
                    e <- e.Next

            copy
        finally
            Monitor.Exit gate

    /// The keys present now (a copy).
    member this.Keys() : int64[] = this.Snapshot(fun e -> e.Key)

    /// The values present now (a copy).
    member this.Values() : 'T[] = this.Snapshot(fun e -> e.Value)
