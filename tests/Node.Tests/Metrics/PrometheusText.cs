using System.Globalization;
using System.Text.RegularExpressions;

namespace Overlay.Node.Tests.Metrics;

/// <summary>One sample of the Prometheus text format: metric name, labels and value.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4), for checking what the
/// node serves: every line must be a comment, blank, or a well-formed sample, or parsing fails.
/// </summary>
internal static partial class PrometheusText
{
    public static (IReadOnlyList<PrometheusSample> Samples, IReadOnlyDictionary<string, string> Types) Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(parts.Length == 4 && parts[3] is "counter" or "gauge" or "histogram" or "summary" or "untyped", $"Line {lineNumber} is a bad TYPE line: {line}");
                types[parts[2]] = parts[3];
                continue;
            }

            Assert.False(line.StartsWith('#'), $"Line {lineNumber} is an unknown comment: {line}");
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"Line {lineNumber} is not a sample: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var labelText = match.Groups["labels"].Value;
            if (labelText.Length > 0)
            {
                var consumed = 0;
                foreach (Match label in Label().Matches(labelText))
                {
                    Assert.Equal(consumed, label.Index);
                    labels[label.Groups["key"].Value] = label.Groups["value"].Value;
                    consumed = label.Index + label.Length;
                }

                Assert.True(consumed == labelText.Length, $"Line {lineNumber} has malformed labels: {line}");
            }

            samples.Add(new PrometheusSample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value, lineNumber)));
        }

        return (samples, types);
    }

    private static double ParseValue(string text, int lineNumber) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"Line {lineNumber}: '{text}' is not a number."),
    };

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)( -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)"",?")]
    private static partial Regex Label();
}
