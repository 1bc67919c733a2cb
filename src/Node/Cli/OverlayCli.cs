namespace Overlay.Node.Cli;

/// <summary>The <c>overlay</c> command line: parses, dispatches, and turns every failure into one sentence and an exit code.</summary>
public sealed class OverlayCli
{
    private readonly Dictionary<string, ICliCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CommandSpec> _specs = new(StringComparer.Ordinal);

    public OverlayCli(IEnumerable<ICliCommand> commands)
    {
        foreach (var command in commands)
        {
            _commands.Add(command.Spec.Name, command);
            _specs.Add(command.Spec.Name, command.Spec);
        }
    }

    public IReadOnlyDictionary<string, CommandSpec> Specs => _specs;

    public async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            await context.Output.WriteAsync(Help()).ConfigureAwait(false);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
        }

        ParsedArguments parsed;
        try
        {
            if (args.Length > 1 && args[1] is "--help" or "-h" && _specs.TryGetValue(args[0], out var spec))
            {
                await context.Output.WriteLineAsync($"{spec.Summary}\nusage: {spec.Usage}").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            parsed = ArgumentParser.Parse(args, _specs);
        }
        catch (CliUsageException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await _commands[parsed.Command].RunAsync(parsed, context, cancellationToken).ConfigureAwait(false);
        }
        catch (CliUsageException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (Configuration.ConfigurationException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Config;
        }
        catch (Configuration.DataDirectoryAccessException e)
        {
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.NoPermission;
        }
        catch (Crypto.Sodium.SodiumUnavailableException e)
        {
            // The message is already the one sentence saying what to do.
            await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Failure;
        }
    }

    public string Help()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("overlay: a peer-to-peer overlay node.");
        text.AppendLine();
        text.AppendLine("Commands:");
        foreach (var spec in _specs.Values)
        {
            text.Append("  ").Append(spec.Usage).AppendLine();
            text.Append("      ").Append(spec.Summary).AppendLine();
        }

        text.AppendLine();
        text.AppendLine("Every command takes --data-dir DIR (default: $OVERLAY_DATA_DIR, /var/lib/overlay under systemd, else ~/.local/share/overlay).");
        text.AppendLine("'overlay COMMAND --help' shows one command's usage.");
        return text.ToString();
    }
}
