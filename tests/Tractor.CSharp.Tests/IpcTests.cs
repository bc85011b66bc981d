using System.Buffers;
using System.Text;
using NUnit.Framework;
using TractorNet.Ipc;

namespace TractorNet.CSharp.Tests;

/// The IPC layer as a C# user sees it: no F# types at the call sites.
public class IpcTests
{
    static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    [Test]
    public async Task AnAuthenticatedServerAndClientExchangeFrames()
    {
        var secret = Handshake.NewSecret();
        var serverIdentity = IpcIdentity.ForThisProcess("server");
        await using var server = IpcServer.Start(
            UnixSocketDirectory.NewAddress("csharp"),
            new HandshakeOptions(serverIdentity, secret),
            new ChannelOptions { MaxFrameSize = 1 << 20 },
            channel => channel.ReceiveLoopAsync(frame => channel.SendAsync(frame)));

        var channel = await IpcClient.ConnectAsync(server.Address, new HandshakeOptions(IpcIdentity.ForThisProcess("client"), secret)).WaitAsync(Guard);
        Assert.That(channel.Peer, Is.EqualTo(serverIdentity));

        await channel.SendAsync(Encoding.UTF8.GetBytes("hello"));
        // An encoder writes straight into the send queue.
        await channel.SendAsync("world", (IBufferWriter<byte> w, string s) => w.Write(Encoding.UTF8.GetBytes(s)));
        var got = new List<string>();
        while (got.Count < 2 && await channel.ReceiveAsync().AsTask().WaitAsync(Guard))
            got.Add(Encoding.UTF8.GetString(channel.Current.Span));
        Assert.That(got, Is.EqualTo(new[] { "hello", "world" }));

        await channel.DisposeAsync();
        Assert.Throws<ChannelClosedException>(() => channel.SendAsync(new byte[] { 1 }));
    }

    [Test]
    public void AddressesParseAndFailClearly()
    {
        var a = IpcAddress.Parse("tcp://[::1]:1616");
        Assert.That(a.IsTcp, Is.True);
        Assert.That(a.ToString(), Is.EqualTo("tcp://[::1]:1616"));
        Assert.That(IpcAddress.TryParse("tcp://nowhere", out _), Is.False);
        var e = Assert.Throws<FormatException>(() => IpcAddress.Parse("uds://relative"));
        Assert.That(e!.Message, Does.Contain("absolute path"));
    }

    [Test]
    public void AWrongSecretIsAHandshakeError()
    {
        var server = IpcServer.Start(
            UnixSocketDirectory.NewAddress("csharp"),
            new HandshakeOptions(IpcIdentity.ForThisProcess("server"), Handshake.NewSecret()) { Log = Log.None },
            null,
            channel => Task.CompletedTask);
        try
        {
            var options = new HandshakeOptions(IpcIdentity.ForThisProcess("client"), Handshake.NewSecret()) { Log = Log.None };
            var e = Assert.ThrowsAsync<HandshakeException>(() => IpcClient.ConnectAsync(server.Address, options));
            Assert.That(e!.Message, Does.Contain("failed authentication"));
        }
        finally
        {
            server.DisposeAsync().AsTask().Wait(Guard);
        }
    }
}
