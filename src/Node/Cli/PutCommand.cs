using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Overlay.Node.Control;

namespace Overlay.Node.Cli;

/// <summary><c>overlay put KEY VALUE</c>: stores a signed value under a key through the running daemon.</summary>
public sealed class PutCommand : ICliCommand
{
    /// <summary>Most value bytes read from a file or standard input: the largest Dht:MaxValueBytes a node accepts.</summary>
    public const int MaxReadBytes = 1 << 20;

    public CommandSpec Spec { get; } = Specs.Of(
        "put", "Store a value under a key in the DHT through the running node (VALUE as UTF-8 text, --file PATH or - for standard input as bytes).",
        "overlay put KEY (VALUE | --file PATH | -) [--data-dir DIR]   (KEY: text, hashed with BLAKE3-256, or a 52-character base32 key)",
        ["--file", "--data-dir"], minPositionals: 1, maxPositionals: 2);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
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
            var read = await ReadAsync(context, file, cancellationToken).ConfigureAwait(false);
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
            var reply = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var stored = reply["storedOn"]?.GetValue<int>() ?? 0;
            await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Stored {value.Length} bytes under key {key} on {stored} peer(s) and this node.")).ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads at most <see cref="MaxReadBytes"/> + 1 bytes, so an oversized input is detected without reading all of it.</summary>
    private static async Task<byte[]?> ReadAsync(CliContext context, string? path, CancellationToken cancellationToken)
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
            var buffer = new byte[MaxReadBytes + 1];
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
