namespace TractorNet.Runtime

open System
open System.Threading.Tasks
open TractorNet
open TractorNet.Spawning

/// The spawn methods of one actor nursery (shared by its per-actor views): its chosen method,
/// its warm pool's size, and the pool itself, made when first needed (the method is set to
/// WarmPool, or an actor asks for it) and closed, every idle process reaped, when the nursery ends.
type internal NurserySpawners(rt: ActorRuntime) =
    let gate = obj ()
    // Guarded by gate.
    let mutable spawnMethod = SpawnDefaults.spawnMethod ()
    // Guarded by gate.
    let mutable poolSize = SpawnDefaults.poolSize ()
    // Guarded by gate: made on first need.
    let mutable pool: WarmPool = Unchecked.defaultof<_>
    // Guarded by gate.
    let mutable closed = false

    let poolOf () =
        lock gate (fun () ->
            if isNull (box pool) then
                if closed then
                    raise (InvalidOperationException "the nursery has ended: it cannot start actors any more")

                let request =
                    { Name = WarmSignal.PlaceholderName
                      Uid = ""
                      Secret = Convert.ToBase64String rt.Secret
                      LeadsGroup = rt.Parent.IsNone
                      ChannelOptions = rt.ChannelOptions }

                pool <- WarmPool(poolSize, request, rt.Ladder, rt.Track, rt.Untrack)

            pool)

    /// The nursery's spawn method; setting WarmPool starts filling the pool.
    member _.Method
        with get () = lock gate (fun () -> spawnMethod)
        and set (m: SpawnMethod) =
            if not (Enum.IsDefined m) then
                invalidArg "value" $"unknown spawn method {m}"

            lock gate (fun () -> spawnMethod <- m)

            if m = SpawnMethod.WarmPool then
                (poolOf ()).Fill()

    /// The number of idle processes the warm pool keeps; settable until the pool exists.
    member _.PoolSize
        with get () = lock gate (fun () -> poolSize)
        and set (n: int) =
            if n < 0 then
                raise (ArgumentOutOfRangeException("value", n, "a pool size cannot be negative"))

            lock gate (fun () ->
                if not (isNull (box pool)) && n <> poolSize then
                    raise (InvalidOperationException "the warm pool has started: set its size before it does (when opening the nursery)")

                poolSize <- n)

    /// The warm pool (made and filled on first use).
    member _.Pool: WarmPool =
        let p = poolOf ()
        p.Fill()
        p

    /// The spawner for `m`.
    member this.For(m: SpawnMethod) : ISpawner =
        match m with
        | SpawnMethod.NewProcess -> NewProcessSpawner.instance
        | SpawnMethod.WarmPool -> this.Pool :> ISpawner
        | other -> invalidArg "method" $"unknown spawn method {other}"

    /// Ends the pool: every idle process is reaped before this completes.
    member _.CloseAsync() : Task =
        let p =
            lock gate (fun () ->
                closed <- true
                pool)

        if isNull (box p) then Task.CompletedTask else p.CloseAsync()
