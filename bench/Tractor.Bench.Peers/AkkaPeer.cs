// Akka.NET with Akka.Remote (its standard DotNetty TCP transport) on loopback. Messages are
// plain int / long / string, which Akka.Remote's built-in primitive serializer carries.
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace TractorNet.Bench.Peers;

sealed class AkkaPeer : IPeer
{
    public string Name => "akka";

    static readonly Config Hocon = ConfigurationFactory.ParseString("""
        akka {
          loggers = ["TractorNet.Bench.Peers.AkkaPeer+Logger, Tractor.Bench.Peers"]
          loglevel = WARNING
          stdout-loglevel = OFF
          actor.provider = remote
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        }
        """);

    /// <summary>
    /// Set once a side has given its verdict and is about to leave: the other side's leaving is
    /// logged by Akka.Remote as a disassociation error, which is no failure of the run.
    /// </summary>
    static volatile bool leaving;

    /// <summary>Akka's log on standard error (standard output carries the figures), silent once leaving.</summary>
    sealed class Logger : ReceiveActor
    {
        public Logger()
        {
            Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
            Receive<LogEvent>(e => { if (!leaving) Console.Error.WriteLine(e); });
        }
    }

    // ---- the actors ----

    /// <summary>Answers n with n + 1 (the request scenario's callee).</summary>
    sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is int n) Sender.Tell(n + 1);
            else Unhandled(message);
        }
    }

    /// <summary>Counts one-way messages, checks their order, acknowledges to whoever sent "start".</summary>
    sealed class Sink(FirstFailure failures) : UntypedActor
    {
        readonly AckCounter counter = new();
        IActorRef ackTo = ActorRefs.Nobody;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "start":
                    ackTo = Sender;
                    break;
                case long seq:
                    var (ack, error) = counter.Receive(seq);
                    if (error is not null)
                    {
                        failures.Record(error);
                        ackTo.Tell(error);
                    }
                    else if (ack is long count)
                        ackTo.Tell(count);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }

    /// <summary>The bench's end of the window: acknowledgements (long) and failures (string).</summary>
    sealed class Acker(AckWindow window) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case long count: window.Ack(count); break;
                case string failure: window.Fail(failure); break;
                default: Unhandled(message); break;
            }
        }
    }

    /// <summary>Records every dead letter (a message not delivered) and every error logged as a failure.</summary>
    sealed class Watcher(FirstFailure failures) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case AllDeadLetters d: failures.Record($"dead letter: {d.Message} from {d.Sender} to {d.Recipient}"); break;
                case Error e: failures.Record($"error logged: {e.Message} {e.Cause}"); break;
            }
        }
    }

    static FirstFailure Watch(ActorSystem system)
    {
        var failures = new FirstFailure();
        var watcher = system.ActorOf(Props.Create(() => new Watcher(failures)), "watcher");
        system.EventStream.Subscribe(watcher, typeof(AllDeadLetters));
        system.EventStream.Subscribe(watcher, typeof(Error));
        return failures;
    }

    // ---- the server ----

    sealed class Server(ActorSystem system, FirstFailure failures) : IPeerServer
    {
        public string Address => ((ExtendedActorSystem)system).Provider.DefaultAddress.ToString();
        public string? Verdict()
        {
            leaving = true;
            return failures.Reason;
        }

        public async ValueTask DisposeAsync() => await system.Terminate();
    }

    public Task<IPeerServer> Serve()
    {
        var system = ActorSystem.Create("peers", Hocon);
        var failures = Watch(system);
        system.ActorOf(Props.Create(() => new Echo()), "echo");
        system.ActorOf(Props.Create(() => new Sink(failures)), "sink");
        return Task.FromResult<IPeerServer>(new Server(system, failures));
    }

    // ---- the client ----

    sealed class Client(ActorSystem system, FirstFailure failures, IActorRef echo, IActorRef sink, AckWindow window) : IPeerClient
    {
        public string? Failure => failures.Reason;

        public Task<int> Request(int n) => echo.Ask<int>(n, PeerBatches.RequestTimeout);

        public Task<long> OnewayBatch() => window.SendRun(seq => sink.Tell(seq, ActorRefs.NoSender));

        public async ValueTask DisposeAsync()
        {
            leaving = true;
            await system.Terminate();
        }
    }

    public async Task<IPeerClient> Connect(string address)
    {
        leaving = false;
        var system = ActorSystem.Create("bench", Hocon);
        try
        {
            var failures = Watch(system);
            var timeout = TimeSpan.FromSeconds(30);
            var echo = await system.ActorSelection($"{address}/user/echo").ResolveOne(timeout);
            var sink = await system.ActorSelection($"{address}/user/sink").ResolveOne(timeout);
            var window = new AckWindow();
            var acker = system.ActorOf(Props.Create(() => new Acker(window)), "acker");
            sink.Tell("start", acker);
            return new Client(system, failures, echo, sink, window);
        }
        catch
        {
            await system.Terminate();
            throw;
        }
    }
}
