using System.Buffers;
using TractorNet.Wire;

namespace TractorNet.Examples;

/// <summary>
/// How messages are serialised: the default MessagePack serializer handles C# records and
/// classes with no attributes; a custom codec changes one type's encoding; a type that cannot
/// travel (here, one holding a delegate) is refused up front, naming the member.
/// </summary>
static class WireSerialization
{
    public record Order(int Id, string Customer, List<Line> Lines, Money Total);
    public record Line(string Sku, int Quantity);
    public readonly record struct Money(decimal Amount, string Currency);
    public record WithCallback(string Name, Func<int> Callback);

    /// <summary>Money as the text "12.50 EUR" instead of the default map.</summary>
    sealed class MoneyAsText : MsgPackCodec<Money>
    {
        public override bool CanWriteNil => false;

        public override void Write(ref MsgPackWriter writer, Money value) =>
            writer.WriteString(FormattableString.Invariant($"{value.Amount} {value.Currency}"));

        public override Money Read(ref MsgPackReader reader)
        {
            var parts = reader.ReadString().Split(' ');
            return new Money(decimal.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
        }
    }

    public static readonly Example Example = new(
        "wire-serialization",
        "Serialises a C# record with the default MessagePack codec and a custom one.",
        _ =>
        {
            var order = new Order(7, "Ada", [new("bolt", 10), new("nut", 12)], new Money(12.50m, "EUR"));

            byte[] plain = MsgPackSerializer.Default.SerializeToArray(order);
            Console.WriteLine($"default encoding: {plain.Length} bytes");

            var serializer = new MsgPackSerializer();
            serializer.Resolver.Register(new MoneyAsText());
            var buffer = new ArrayBufferWriter<byte>();
            serializer.Serialize(buffer, order);
            var back = serializer.Deserialize<Order>(new ReadOnlySequence<byte>(buffer.WrittenMemory));
            Console.WriteLine($"with MoneyAsText: {buffer.WrittenCount} bytes, total {back.Total.Amount} {back.Total.Currency}");
            if (back.Total != order.Total || !back.Lines.SequenceEqual(order.Lines))
                throw new InvalidOperationException("round trip changed the order");

            try
            {
                MsgPackSerializer.Default.Validate(typeof(WithCallback));
                throw new InvalidOperationException("a delegate should not be serialisable");
            }
            catch (UnserializableTypeException e)
            {
                Console.WriteLine(e.Message);
            }
            return Task.CompletedTask;
        });
}
