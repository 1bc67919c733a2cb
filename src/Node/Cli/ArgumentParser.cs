namespace Overlay.Node.Cli;

/// <summary>
/// Splits a command line against a table of command specifications. Every mistake is a
/// <see cref="CliUsageException"/> with one sentence; nothing else escapes.
/// </summary>
public static class ArgumentParser
{
    /// <summary>Arguments longer than this are refused: no legitimate path or address is this long.</summary>
    public const int MaxArgumentLength = 4096;

    public static ParsedArguments Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, CommandSpec> commands)
    {
        if (args.Count == 0)
        {
            throw new CliUsageException("No command was given; run 'overlay help' to see the commands.");
        }

        var commandWord = args[0];
        if (!commands.TryGetValue(commandWord, out var spec))
        {
            throw new CliUsageException($"'{ParsedArguments.Shorten(commandWord)}' is not an overlay command; run 'overlay help' to see the commands.");
        }

        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var positionals = new List<string>();
        var onlyPositionals = false;
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.Length > MaxArgumentLength)
            {
                throw new CliUsageException($"Argument {i + 1} is {arg.Length} characters long; at most {MaxArgumentLength} are accepted.");
            }

            // A short option (-o) is an option only where the command declares it; elsewhere it is a positional.
            var declared = spec.ValueOptions.Contains(arg) || spec.FlagOptions.Contains(arg);
            if (onlyPositionals || arg == "-" || (!arg.StartsWith("--", StringComparison.Ordinal) && !declared))
            {
                positionals.Add(arg);
                continue;
            }

            if (arg == "--")
            {
                onlyPositionals = true;
                continue;
            }

            string name;
            string? inlineValue = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                name = arg[..equals];
                inlineValue = arg[(equals + 1)..];
            }
            else
            {
                name = arg;
            }

            if (spec.FlagOptions.Contains(name))
            {
                if (inlineValue is not null)
                {
                    throw new CliUsageException($"The option {name} takes no value.");
                }

                Add(options, name, string.Empty, spec);
            }
            else if (spec.ValueOptions.Contains(name))
            {
                var value = inlineValue;
                if (value is null)
                {
                    if (i + 1 >= args.Count)
                    {
                        throw new CliUsageException($"The option {name} needs a value.");
                    }

                    value = args[++i];
                }

                if (value.Length > MaxArgumentLength)
                {
                    throw new CliUsageException($"The value of {name} is {value.Length} characters long; at most {MaxArgumentLength} are accepted.");
                }

                Add(options, name, value, spec);
            }
            else
            {
                throw new CliUsageException($"'overlay {spec.Name}' has no option {ParsedArguments.Shorten(name)}; usage: {spec.Usage}");
            }
        }

        if (positionals.Count < spec.MinPositionals || positionals.Count > spec.MaxPositionals)
        {
            throw new CliUsageException($"'overlay {spec.Name}' was given {positionals.Count} argument(s); usage: {spec.Usage}");
        }

        return new ParsedArguments(spec.Name, options, positionals);
    }

    private static void Add(Dictionary<string, List<string>> options, string name, string value, CommandSpec spec)
    {
        if (!options.TryGetValue(name, out var values))
        {
            options[name] = values = [];
        }
        else if (!spec.RepeatableOptions.Contains(name))
        {
            throw new CliUsageException($"The option {name} may be given only once.");
        }

        values.Add(value);
    }
}
