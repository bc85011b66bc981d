namespace TractorNet.Runtime

open System

/// The receive end of one stream, seen without its item type.
type internal IItemSink =
    /// Decodes and buffers one item (on the receive loop: the bytes die after this call).
    abstract Deliver: item: ReadOnlyMemory<byte> -> unit
    /// Decodes and buffers the first `count` items of a checked run (`ItemRun`), in one step.
    abstract DeliverRun: run: ReadOnlyMemory<byte> * count: int -> unit
    /// Items buffered and not yet read.
    abstract Count: int
    /// No more items: iteration ends after the buffered ones, then raises `error` if not null.
    abstract Finish: error: exn -> unit
    /// Iteration raises `error` at once, buffered items or not (local cancellation).
    abstract Abort: error: exn -> unit
    /// This side stopped reading: drop everything.
    abstract Close: unit -> unit
