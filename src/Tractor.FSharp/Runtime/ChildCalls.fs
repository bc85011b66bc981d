namespace TractorNet.Runtime

open System
open System.Threading
open System.Threading.Tasks
open TractorNet

/// Context and stream calls on a child actor (caller side).
module internal ChildCalls =
    /// Starts a context or stream call on a child actor's peer; `death` turns a broken
    /// connection (now or later) into the actor's death, so that it is reported once.
    let openCall
        (peer: Peer)
        (death: Func<exn, Task<exn>>)
        (f: FunctionRef)
        (args: byte[] list)
        (kind: CallKind)
        (options: StreamOptions)
        (ambient: CancellationToken)
        (prepare: ContextEndpoint -> unit)
        : Task<ContextEndpoint> =
        task {
            try
                return!
                    peer.OpenCall(
                        f,
                        args,
                        kind,
                        options,
                        ambient,
                        fun ep ->
                            ep.ResolveBrokenWith death
                            prepare ep
                    )
            with :? TransportClosedError as e ->
                let! cause = death.Invoke e
                return raise cause
        }
