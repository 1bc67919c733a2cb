using System.Text;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Node.Cli;

/// <summary><c>overlay get KEY</c>: finds the value under a key through the running daemon.</summary>
public sealed class GetCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "get", "Find the value stored under a key in the DHT through the running node; prints UTF-8 text, or writes the bytes to --output PATH.",
        "overlay get KEY [--output PATH] [--data-dir DIR]", ["--output", "--data-dir"], minPositionals: 1, maxPositionals: 1);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var keyText = args.Positionals[0];
        if (!DhtKeys.TryFromText(keyText, out _, out var keyError))
        {
            throw new CliUsageException(keyError);
        }

        var output = args.Single("--output");
        var request = new JsonObject { ["command"] = "get", ["key"] = keyText };
        return await DaemonCall.RunAsync(context, DaemonCall.DataDirectoryOf(args, context), request, async reply =>
        {
            if (reply["value"] is not JsonValue v || !v.TryGetValue<string>(out var base64) || !TryBase64(base64, out var value))
            {
                await context.Error.WriteLineAsync("overlay: the daemon's reply has no readable value.").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            if (output is not null)
            {
                try
                {
                    await File.WriteAllBytesAsync(output, value, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    await context.Error.WriteLineAsync($"overlay: cannot write '{ParsedArguments.Shorten(output)}': {e.Message}").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }

                return ExitCodes.Success;
            }

            string text;
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
            }
            catch (DecoderFallbackException)
            {
                await context.Error.WriteLineAsync($"overlay: the value is {value.Length} bytes of binary data, not UTF-8 text; use --output PATH to save it.").ConfigureAwait(false);
                return ExitCodes.DataError;
            }

            await context.Output.WriteLineAsync(text).ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static bool TryBase64(string text, out byte[] value)
    {
        var buffer = new byte[(text.Length / 4 * 3) + 3];
        if (Convert.TryFromBase64String(text, buffer, out var n))
        {
            value = buffer[..n];
            return true;
        }

        value = [];
        return false;
    }
}
