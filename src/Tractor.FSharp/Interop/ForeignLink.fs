namespace TractorNet

open System.Threading
open System.Threading.Channels
open System.Threading.Tasks

/// The state shared by the two ends of one openChannelFrom channel: a bounded queue each way, the foreign task's token and the signal that it returned.
type internal ForeignLink<'Up, 'Down>(capacity: int, name: string) =
    let options () =
        BoundedChannelOptions(capacity, FullMode = BoundedChannelFullMode.Wait, SingleReader = false, SingleWriter = false)

    let up = Channel.CreateBounded<'Up>(options ())
    let down = Channel.CreateBounded<'Down>(options ())
    let stop = new CancellationTokenSource()
    let returned = new CancellationTokenSource()

    /// Messages from the foreign task to the structured side.
    member _.Up = up
    /// Messages from the structured side to the foreign task.
    member _.Down = down
    /// Cancelled when the structured side stops the foreign task (the foreign task's token).
    member _.Stop = stop
    /// Cancelled once the foreign task has returned.
    member _.Returned = returned.Token
    member _.Name = name

    /// The foreign task returned: the structured side reads what is left, then learns it has gone.
    member _.ForeignReturned() =
        up.Writer.TryComplete() |> ignore
        returned.Cancel()

    member _.Exited() =
        ForeignTaskExitedError($"The foreign task '{name}' returned; the channel has no more messages and takes none.")
