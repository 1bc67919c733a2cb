using System.Globalization;

namespace Overlay.Node.Configuration;

/// <summary>Phrases a configuration problem as one sentence naming the key, the value and what is allowed.</summary>
public static class OptionProblem
{
    public static string Describe(string section, string key, object? value, string allowed)
    {
        var text = value switch
        {
            null => "empty",
            string s => $"'{Shorten(s)}'",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "empty",
        };
        return $"'{section}:{key}' is {text}; {allowed}.";
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
