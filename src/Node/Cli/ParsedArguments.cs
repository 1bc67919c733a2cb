namespace Overlay.Node.Cli;

/// <summary>A command line split into its command, options (with values) and positional arguments.</summary>
public sealed class ParsedArguments
{
    private readonly Dictionary<string, List<string>> _options;

    internal ParsedArguments(string command, Dictionary<string, List<string>> options, IReadOnlyList<string> positionals)
    {
        Command = command;
        _options = options;
        Positionals = positionals;
    }

    /// <summary>The command word, e.g. <c>run</c>.</summary>
    public string Command { get; }

    /// <summary>Arguments that are not options, in order.</summary>
    public IReadOnlyList<string> Positionals { get; }

    /// <summary>Whether a flag or option was given.</summary>
    public bool Has(string option) => _options.ContainsKey(option);

    /// <summary>The value of an option given at most once, or null.</summary>
    public string? Single(string option)
    {
        if (!_options.TryGetValue(option, out var values))
        {
            return null;
        }

        if (values.Count > 1)
        {
            throw new CliUsageException($"The option {option} may be given only once.");
        }

        return values[0];
    }

    /// <summary>All values of a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string option) =>
        _options.TryGetValue(option, out var values) ? values : [];

    /// <summary>A positive whole-number option, or <paramref name="fallback"/> when absent.</summary>
    public long PositiveInteger(string option, long fallback, long maximum)
    {
        var text = Single(option);
        if (text is null)
        {
            return fallback;
        }

        if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || value < 1 || value > maximum)
        {
            throw new CliUsageException($"The option {option} takes a whole number from 1 to {maximum}, not '{Shorten(text)}'.");
        }

        return value;
    }

    internal static string Shorten(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 61), "...");
}
