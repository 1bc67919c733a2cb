using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Node.Cli;

/// <summary>
/// <c>overlay put KEY VALUE</c>: stores a signed value under a key through the running daemon. Success
/// (exit 0) means the node saved the value and at least the required number of peers accepted it; fewer
/// is exit 75 with the refusal reasons, a value the node could not save exit 74.
/// </summary>
public sealed class PutCommand : ICliCommand
{
    /// <summary>Most value bytes read from a file or standard input: the largest Dht:MaxValueBytes a node accepts.</summary>
    public const int MaxReadBytes = 1 << 20;

    private static readonly System.Text.Json.JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    public CommandSpec Spec { get; } = Specs.Of(
        "put", "Store a value under a key in the DHT through the running node (VALUE as UTF-8 text, --file PATH or - for standard input as bytes).",
        "overlay put KEY (VALUE | --file PATH | -) [--json] [--data-dir DIR]   (KEY: text, hashed with BLAKE3-256, or a 52-character base32 key)",
        ["--file", "--data-dir"], flags: ["--json"], minPositionals: 1, maxPositionals: 2);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var json = args.Has("--json");
        var keyText = args.Positionals[0];
        if (!DhtKeys.TryFromText(keyText, out var key, out var keyError))
        {
            throw new CliUsageException(keyError);
        }

        var file = args.Single("--file");
        var inline = args.Positionals.Count > 1 ? args.Positionals[1] : null;
        if ((file is null) == (inline is null))
        {
            throw new CliUsageException($"Give the value exactly once: as text, with --file PATH, or - for standard input; usage: {Spec.Usage}");
        }

        byte[] value;
        if (inline is not null && inline != "-")
        {
            value = Encoding.UTF8.GetBytes(inline);
        }
        else
        {
            var read = await ReadAsync(context, file, MaxReadBytes, cancellationToken).ConfigureAwait(false);
            if (read is null)
            {
                return ExitCodes.Failure;
            }

            value = read;
        }

        if (value.Length > MaxReadBytes)
        {
            await context.Error.WriteLineAsync($"overlay: the value is more than {MaxReadBytes} bytes; no node accepts values that large.").ConfigureAwait(false);
            return ExitCodes.DataError;
        }

        var dataDirectory = DaemonCall.DataDirectoryOf(args, context);
        return await DaemonCall.RunAsync(context, dataDirectory, async client =>
        {
            // Ask the daemon's limit first: a request frame beyond it would be cut off unread, and the
            // user would see a broken connection instead of the reason.
            var id = await client.SendAsync(new JsonObject { ["command"] = "id" }, cancellationToken).ConfigureAwait(false);
            if (id["maxValueBytes"] is JsonValue limitNode && limitNode.TryGetValue<int>(out var limit) && value.Length > limit)
            {
                await context.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"overlay: the value is {value.Length} bytes; the node accepts at most {limit} (Dht:MaxValueBytes).")).ConfigureAwait(false);
                return ExitCodes.DataError;
            }

            var request = new JsonObject { ["command"] = "put", ["key"] = keyText, ["value"] = Convert.ToBase64String(value) };
            JsonObject reply;
            try
            {
                reply = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (ControlClientException e) when (e.DaemonError is ControlError.TooFewReplicas or ControlError.NotSaved)
            {
                // Failures of the put itself: the sentence on standard error, and with --json the typed reply
                // (storedOn, required, refusals by reason) on standard output for scripts.
                await context.Error.WriteLineAsync($"overlay: {e.Message}").ConfigureAwait(false);
                if (json && e.Reply is { } failed)
                {
                    await context.Output.WriteLineAsync(failed.ToJsonString(IndentedJson)).ConfigureAwait(false);
                }

                return e.DaemonError == ControlError.TooFewReplicas ? ExitCodes.TooFewReplicas : ExitCodes.IoError;
            }

            if (json)
            {
                await context.Output.WriteLineAsync(reply.ToJsonString(IndentedJson)).ConfigureAwait(false);
                return ExitCodes.Success;
            }

            await context.Output.WriteLineAsync(Describe(reply, value.Length, key)).ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The success sentence: where the value went, and what the peers that did not take it said.</summary>
    internal static string Describe(JsonObject reply, int bytes, Overlay.Crypto.PeerId key)
    {
        var stored = Int(reply, "storedOn");
        var required = Int(reply, "required");
        if (stored == 0 && required == 0)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"Stored {bytes} bytes under key {key} on this node only: it knows no peers yet, and sends the value to the closest peers when it republishes it.");
        }

        var text = string.Create(CultureInfo.InvariantCulture, $"Stored {bytes} bytes under key {key} on {stored} peer(s) and this node ({required} required).");
        if (reply["refusals"] is JsonObject refusals && refusals.Count > 0)
        {
            var reasons = string.Join(", ", refusals.Select(r => $"{r.Value} {r.Key}"));
            text += $" Not taken by: {reasons}.";
        }

        return text;
    }

    private static int Int(JsonObject reply, string name) =>
        reply[name] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;

    /// <summary>Reads at most <paramref name="maxBytes"/> + 1 bytes of a file or standard input (null or <c>-</c>), so an oversized input is detected without reading all of it; null (said on standard error) when it cannot be read.</summary>
    internal static async Task<byte[]?> ReadAsync(CliContext context, string? path, int maxBytes, CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = path is null or "-" ? context.OpenInput() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            await context.Error.WriteLineAsync($"overlay: cannot read '{ParsedArguments.Shorten(path ?? "-")}': {e.Message}").ConfigureAwait(false);
            return null;
        }

        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[maxBytes + 1];
            int total;
            try
            {
                total = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                await context.Error.WriteLineAsync($"overlay: reading '{ParsedArguments.Shorten(path ?? "-")}' failed: {e.Message}").ConfigureAwait(false);
                return null;
            }

            return buffer[..total];
        }
    }
}
