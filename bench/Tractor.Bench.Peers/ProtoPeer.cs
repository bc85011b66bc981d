// Proto.Actor with Proto.Remote (its standard gRPC transport) on loopback. Messages are
// protobuf (Messages.proto, compiled by Grpc.Tools), as Proto.Remote requires.
using Proto;
using Proto.Remote;
using Proto.Remote.GrpcNet;
using TractorNet.Bench.Peers.ProtoMessages;

namespace TractorNet.Bench.Peers;

sealed class ProtoPeer : IPeer
{
    public string Name => "proto";

    static async Task<ActorSystem> StartSystem()
    {
        var system = new ActorSystem().WithRemote(RemoteConfig.BindToLocalhost(0).WithProtoMessages(MessagesReflection.Descriptor));
        await system.Remote().StartAsync();
        return system;
    }

    /// <summary>Records every dead letter (a message not delivered) and every lost connection as a failure.</summary>
    static FirstFailure Watch(ActorSystem system)
    {
        var failures = new FirstFailure();
        system.EventStream.Subscribe<DeadLetterEvent>(d => failures.Record($"dead letter: {d.Message} from {d.Sender} to {d.Pid}"));
        system.EventStream.Subscribe<EndpointTerminatedEvent>(e => failures.Record($"endpoint terminated: {e}"));
        return failures;
    }

    // ---- the actors ----

    /// <summary>Answers Request n with Reply n + 1 (the request scenario's callee).</summary>
    sealed class Echo : IActor
    {
        public Task ReceiveAsync(IContext context)
        {
            if (context.Message is Request r) context.Respond(new Reply { N = r.N + 1 });
            return Task.CompletedTask;
        }
    }

    /// <summary>Counts one-way messages, checks their order, acknowledges to the sender of Start.</summary>
    sealed class Sink(FirstFailure failures) : IActor
    {
        readonly AckCounter counter = new();
        PID? ackTo;

        public Task ReceiveAsync(IContext context)
        {
            switch (context.Message)
            {
                case Start:
                    ackTo = context.Sender;
                    break;
                case Item item:
                    var (ack, error) = counter.Receive(item.Seq);
                    if (error is not null)
                    {
                        failures.Record(error);
                        if (ackTo is not null) context.Send(ackTo, new Refused { Reason = error });
                    }
                    else if (ack is long count && ackTo is not null)
                        context.Send(ackTo, new Ack { Count = count });
                    break;
            }
            return Task.CompletedTask;
        }
    }

    // ---- the server ----

    sealed class Server(ActorSystem system, FirstFailure failures) : IPeerServer
    {
        public string Address => system.Address;
        public string? Verdict() => failures.Reason;
        public async ValueTask DisposeAsync() => await system.Remote().ShutdownAsync(graceful: true);
    }

    public async Task<IPeerServer> Serve()
    {
        var system = await StartSystem();
        var failures = Watch(system);
        system.Root.SpawnNamed(Props.FromProducer(() => new Echo()), "echo");
        system.Root.SpawnNamed(Props.FromProducer(() => new Sink(failures)), "sink");
        return new Server(system, failures);
    }

    // ---- the client ----

    sealed class Client(ActorSystem system, FirstFailure failures, PID echo, PID sink, AckWindow window) : IPeerClient
    {
        public string? Failure => failures.Reason;

        public async Task<int> Request(int n) => (await system.Root.RequestAsync<Reply>(echo, new Request { N = n }, PeerBatches.RequestTimeout)).N;

        public Task<long> OnewayBatch() => window.SendRun(seq => system.Root.Send(sink, new Item { Seq = seq }));

        public async ValueTask DisposeAsync() => await system.Remote().ShutdownAsync(graceful: true);
    }

    public async Task<IPeerClient> Connect(string address)
    {
        var system = await StartSystem();
        var failures = Watch(system);
        var window = new AckWindow();
        var acker = system.Root.Spawn(Props.FromFunc(context =>
        {
            switch (context.Message)
            {
                case Ack a: window.Ack(a.Count); break;
                case Refused f: window.Fail(f.Reason); break;
            }
            return Task.CompletedTask;
        }));
        var echo = PID.FromAddress(address, "echo");
        var sink = PID.FromAddress(address, "sink");
        system.Root.Request(sink, new Start(), acker);
        return new Client(system, failures, echo, sink, window);
    }
}
