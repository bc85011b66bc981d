// The benchmark's output contract, as in bench/Tractor.Bench (Report.fs): one JSON object per line,
// {"bench": name, "value": x, "unit": u, "baseline": b, "ratio": x/b}, on standard output only.
using System.Text;
using System.Text.Json;

namespace TractorNet.Bench.Peers;

/// <summary>One measured figure; its baseline is measured in the same run, or null.</summary>
sealed record Figure(string Bench, double Value, string Unit, double? Baseline);

static class Report
{
    // The real standard output, kept for the JSON lines: Console.Out is pointed at standard error
    // at start-up, so whatever the actor libraries print (Akka's default logger writes to the
    // console) cannot mix with the figures.
    static TextWriter? figures;

    /// <summary>Keeps standard output for figures and sends all other console output to stderr.</summary>
    public static void ReserveStdout()
    {
        figures = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true };
        Console.SetOut(Console.Error);
    }

    /// <summary>The writer of the real standard output (the JSON lines, a server's ready line).</summary>
    public static TextWriter Stdout => figures ?? throw new InvalidOperationException("ReserveStdout first");

    /// <summary>Prints one figure as a JSON line.</summary>
    public static void Emit(Figure f)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("bench", f.Bench);
            w.WriteNumber("value", Math.Round(f.Value, 3));
            w.WriteString("unit", f.Unit);
            if (f.Baseline is double b)
            {
                w.WriteNumber("baseline", Math.Round(b, 3));
                w.WriteNumber("ratio", Math.Round(f.Value / b, 4));
            }
            else
            {
                w.WriteNull("baseline");
                w.WriteNull("ratio");
            }
            w.WriteEndObject();
        }
        Stdout.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }
}
