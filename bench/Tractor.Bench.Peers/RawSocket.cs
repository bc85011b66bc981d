// The baselines of the peer figures: the same two processes over a raw loopback TCP socket (the
// peers' transport). The server process listens beside its actor system; the bench process
// connects once per scenario and interleaves raw batches with the peer's.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace TractorNet.Bench.Peers;

static class RawSocket
{
    /// <summary>Round trips per ping-pong batch (8 bytes each way).</summary>
    const int PingPongBatch = 100;

    /// <summary>Messages per one-way batch (8-byte sequence numbers, each with a 4-byte length prefix, written in 256 KiB chunks).</summary>
    const long OnewayBatch = 100_000;

    const int Chunk = 256 * 1024;

    static async Task<bool> ReadExactly(Socket s, Memory<byte> buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = await s.ReceiveAsync(buffer[got..], SocketFlags.None);
            if (n == 0) return false;
            got += n;
        }
        return true;
    }

    // ---------------------------------------------------------------- the server process

    /// <summary>Listens on a loopback port and serves each connection by its first byte: 'e' echo, 's' sink. Returns the port.</summary>
    public static int Serve(CancellationToken stop)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        stop.Register(listener.Stop);
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Socket s;
                try { s = await listener.AcceptSocketAsync(stop); }
                catch (Exception) when (stop.IsCancellationRequested) { return; }
                s.NoDelay = true;
                _ = Task.Run(() => ServeOne(s));
            }
        });
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    static async Task ServeOne(Socket s)
    {
        using (s)
        {
            var mode = new byte[1];
            if (!await ReadExactly(s, mode)) return;
            try
            {
                if (mode[0] == (byte)'e') await Echo(s);
                else await Sink(s);
            }
            catch (SocketException) { } // the bench closed its end
        }
    }

    static async Task Echo(Socket s)
    {
        var buffer = new byte[8];
        while (await ReadExactly(s, buffer))
            await s.SendAsync(buffer, SocketFlags.None);
    }

    /// <summary>Parses length-prefixed sequence numbers from big reads, checks their order, and answers every batch with the count so far (or -1 on a gap).</summary>
    static async Task Sink(Socket s)
    {
        var buffer = new byte[Chunk];
        var reply = new byte[8];
        int have = 0;
        long expected = 0;
        while (true)
        {
            int n = await s.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None);
            if (n == 0) return;
            have += n;
            int pos = 0;
            while (have - pos >= 12)
            {
                long seq = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(pos + 4, 8));
                pos += 12;
                bool gap = seq != expected;
                expected = gap ? -1 : expected + 1;
                if (gap || expected % OnewayBatch == 0)
                {
                    BinaryPrimitives.WriteInt64BigEndian(reply, expected);
                    await s.SendAsync(reply, SocketFlags.None);
                    if (gap) return;
                }
            }
            Buffer.BlockCopy(buffer, pos, buffer, 0, have - pos);
            have -= pos;
        }
    }

    // ---------------------------------------------------------------- the bench process

    static async Task<Socket> Connect(int port, char mode)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(IPAddress.Loopback, port);
        await s.SendAsync(new[] { (byte)mode }, SocketFlags.None);
        return s;
    }

    /// <summary>A raw ping-pong against the server's echo: batches of 100 round trips of 8 bytes, each answer checked.</summary>
    public static async Task<(Batch Batch, IDisposable Connection)> PingPong(int port)
    {
        var s = await Connect(port, 'e');
        var buffer = new byte[8];
        long next = 0;
        Batch batch = async () =>
        {
            for (int i = 0; i < PingPongBatch; i++)
            {
                BinaryPrimitives.WriteInt64BigEndian(buffer, ++next);
                await s.SendAsync(buffer, SocketFlags.None);
                if (!await ReadExactly(s, buffer)) throw new IOException("the raw echo closed");
                if (BinaryPrimitives.ReadInt64BigEndian(buffer) != next) throw new IOException($"raw echo of {next} was wrong");
            }
            return PingPongBatch;
        };
        return (batch, s);
    }

    /// <summary>A raw batched one-way stream into the server's sink; each batch ends with the sink's count, checked.</summary>
    public static async Task<(Batch Batch, IDisposable Connection)> Oneway(int port)
    {
        var s = await Connect(port, 's');
        var chunk = new byte[Chunk];
        var reply = new byte[8];
        long next = 0;
        Batch batch = async () =>
        {
            int used = 0;
            for (long i = 0; i < OnewayBatch; i++)
            {
                if (chunk.Length - used < 12)
                {
                    await s.SendAsync(chunk.AsMemory(0, used), SocketFlags.None);
                    used = 0;
                }
                BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(used, 4), 8);
                BinaryPrimitives.WriteInt64BigEndian(chunk.AsSpan(used + 4, 8), next++);
                used += 12;
            }
            if (used > 0) await s.SendAsync(chunk.AsMemory(0, used), SocketFlags.None);
            if (!await ReadExactly(s, reply)) throw new IOException("the raw sink closed");
            long count = BinaryPrimitives.ReadInt64BigEndian(reply);
            if (count != next) throw new IOException($"the raw sink counted {count} messages, {next} were sent");
            return OnewayBatch;
        };
        return (batch, s);
    }
}
