using System.Buffers;
using NUnit.Framework;
using TractorNet.Wire;

namespace TractorNet.CSharp.Tests;

public record Person(string Name, int Age, List<string> Tags);

public class Settings
{
    public string Host { get; set; } = "localhost";
    public int Port { get; set; } = 80;
    public Dictionary<string, int>? Limits { get; set; }
    public Person? Owner { get; init; }
}

public class Job
{
    public string Name { get; set; } = "";
    public Func<int>? Callback { get; set; }
}

public readonly record struct Point(int X, int Y);

/// <summary>A custom codec written in C#: a point as "x,y".</summary>
public sealed class PointAsText : MsgPackCodec<Point>
{
    public override bool CanWriteNil => false;

    public override void Write(ref MsgPackWriter writer, Point value) => writer.WriteString($"{value.X},{value.Y}");

    public override Point Read(ref MsgPackReader reader)
    {
        var parts = reader.ReadString().Split(',');
        return new Point(int.Parse(parts[0]), int.Parse(parts[1]));
    }
}

public class WireSerializerTests
{
    [Test]
    public void ARecordRoundTripsThroughTheDefaultSerializer()
    {
        var person = new Person("Ada", 36, ["math", "engines"]);
        byte[] bytes = MsgPackSerializer.Default.SerializeToArray(person);
        var back = MsgPackSerializer.Default.Deserialize<Person>(bytes);
        Assert.That(back.Name, Is.EqualTo("Ada"));
        Assert.That(back.Age, Is.EqualTo(36));
        Assert.That(back.Tags, Is.EqualTo(new[] { "math", "engines" }));
    }

    [Test]
    public void AClassWithSettersRoundTripsThroughTheInterface()
    {
        IWireSerializer serializer = new MsgPackSerializer();
        var settings = new Settings
        {
            Host = "example",
            Port = 8080,
            Limits = new() { ["cpu"] = 2 },
            Owner = new Person("Bob", 40, []),
        };
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(buffer, settings);
        var back = serializer.Deserialize<Settings>(new ReadOnlySequence<byte>(buffer.WrittenMemory));
        Assert.That((back.Host, back.Port, back.Limits!["cpu"], back.Owner!.Name), Is.EqualTo(("example", 8080, 2, "Bob")));

        var viaType = (Settings)serializer.Deserialize(new ReadOnlySequence<byte>(buffer.WrittenMemory), typeof(Settings));
        Assert.That(viaType.Port, Is.EqualTo(8080));
    }

    [Test]
    public void ACustomCodecWrittenInCSharpIsUsed()
    {
        var serializer = new MsgPackSerializer();
        serializer.Resolver.Register(new PointAsText());
        byte[] bytes = serializer.SerializeToArray(new[] { new Point(1, 2) });
        var reader = new MsgPackReader(bytes);
        Assert.That(reader.ReadArrayHeader(), Is.EqualTo(1));
        Assert.That(reader.ReadString(), Is.EqualTo("1,2"));
        Assert.That(serializer.Deserialize<Point[]>(bytes), Is.EqualTo(new[] { new Point(1, 2) }));
    }

    [Test]
    public void ADelegatePropertyIsRefusedNamingIt()
    {
        var e = Assert.Throws<UnserializableTypeException>(() => MsgPackSerializer.Default.Validate(typeof(Job)))!;
        Assert.That(e.Message, Is.EqualTo("cannot serialise property `Callback` of `Job`: delegates are not serialisable (path: Job.Callback)"));
        Assert.That(e.MemberPath, Is.EqualTo("Job.Callback"));
    }

    [Test]
    public void TheRawWriterAndReaderWorkFromCSharp()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MsgPackWriter(buffer);
        writer.WriteMapHeader(1);
        writer.WriteString("n");
        writer.WriteInt64(-300);
        writer.Flush();
        var reader = new MsgPackReader(buffer.WrittenMemory);
        Assert.That(reader.ReadMapHeader(), Is.EqualTo(1));
        Assert.That(reader.ReadString(), Is.EqualTo("n"));
        Assert.That(reader.ReadInt32(), Is.EqualTo(-300));
        Assert.That(reader.End, Is.True);
    }

    [Test]
    public void BadInputIsADecodeErrorWithAnOffset()
    {
        var e = Assert.Throws<MsgPackDecodeException>(() => MsgPackSerializer.Default.Deserialize<Person>(new byte[] { 0x93, 0xa1, 0x41 }))!;
        Assert.That(e.Offset, Is.EqualTo(0));
        Assert.That(e.Message, Does.Contain("expected map, found array"));
    }
}
