using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Overlay.Storage;

namespace Overlay.Node.Cli;

/// <summary>
/// <c>overlay shard put|get|status|audit</c>: stores a shard on peers through the running node, fetches
/// one back (verified against its id), and shows or refreshes what the node knows of its holders.
/// </summary>
public sealed class ShardCommand : ICliCommand
{
    /// <summary>Most bytes read for a put: the largest Storage:MaxShardBytes a node accepts.</summary>
    public const int MaxReadBytes = StorageOptions.MaxShardBytesLimit;

    public CommandSpec Spec { get; } = Specs.Of(
        "shard", "Store a shard on peers (put), fetch and verify one (get), show its holders, receipts and last audits (status), or audit its holders now (audit).",
        "overlay shard put (FILE | -) | get ID [-o FILE] | status ID | audit ID   [--data-dir DIR]",
        ["-o", "--data-dir"], minPositionals: 2, maxPositionals: 2);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var (verb, argument) = (args.Positionals[0], args.Positionals[1]);
        if (verb is not ("put" or "get" or "status" or "audit"))
        {
            throw new CliUsageException($"'{ParsedArguments.Shorten(verb)}' is not a shard command; usage: {Spec.Usage}");
        }

        if (verb != "get" && args.Has("-o"))
        {
            throw new CliUsageException("-o FILE goes with 'shard get' only.");
        }

        var request = new JsonObject { ["command"] = "shard-" + verb };
        if (verb == "put")
        {
            var data = await PutCommand.ReadAsync(context, argument, MaxReadBytes, cancellationToken).ConfigureAwait(false);
            if (data is null)
            {
                return ExitCodes.Failure;
            }

            if (data.Length > MaxReadBytes)
            {
                await context.Error.WriteLineAsync($"overlay: the shard is more than {MaxReadBytes} bytes; no node accepts shards that large.").ConfigureAwait(false);
                return ExitCodes.DataError;
            }

            request["value"] = Convert.ToBase64String(data);
        }
        else if (ShardId.TryParse(argument, out _))
        {
            request["key"] = argument;
        }
        else
        {
            throw new CliUsageException($"'{ParsedArguments.Shorten(argument)}' is not a shard id (64 hexadecimal characters).");
        }

        var dataDirectory = DaemonCall.DataDirectoryOf(args, context);
        return await DaemonCall.RunAsync(context, dataDirectory, request, reply => verb switch
        {
            "put" => PrintPutAsync(context, reply),
            "get" => WriteGetAsync(context, reply, args.Single("-o"), cancellationToken),
            _ => PrintStatusAsync(context, reply),
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> PrintPutAsync(CliContext context, JsonObject reply)
    {
        var holders = reply["holders"]!.AsArray();
        await context.Output.WriteLineAsync(reply["id"]!.GetValue<string>()).ConfigureAwait(false);
        await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Stored {reply["bytes"]} bytes on {holders.Count} holder(s):")).ConfigureAwait(false);
        foreach (var h in holders)
        {
            await context.Output.WriteLineAsync($"  {h!["peerId"]} {h["address"]} receipt until {h["receipt"]?["expires"]}").ConfigureAwait(false);
        }

        foreach (var a in reply["attempts"]!.AsArray())
        {
            if (a!["result"]!.GetValue<string>() != "ok")
            {
                await context.Output.WriteLineAsync($"  refused by {a["peerId"]}: {a["detail"]}").ConfigureAwait(false);
            }
        }

        return ExitCodes.Success;
    }

    private static async Task<int> WriteGetAsync(CliContext context, JsonObject reply, string? output, CancellationToken cancellationToken)
    {
        var data = Convert.FromBase64String(reply["data"]!.GetValue<string>());
        if (output is not null)
        {
            try
            {
                await File.WriteAllBytesAsync(output, data, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await context.Error.WriteLineAsync($"overlay: cannot write '{ParsedArguments.Shorten(output)}': {e.Message}").ConfigureAwait(false);
                return ExitCodes.IoError;
            }

            await context.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Wrote {data.Length} verified bytes of {reply["id"]} to {output}.")).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        try
        {
            await context.Output.WriteAsync(new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(data)).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (DecoderFallbackException)
        {
            await context.Error.WriteLineAsync($"overlay: the shard is {data.Length} bytes of binary data, not UTF-8 text; use -o FILE to save it.").ConfigureAwait(false);
            return ExitCodes.DataError;
        }
    }

    private static async Task<int> PrintStatusAsync(CliContext context, JsonObject reply)
    {
        await context.Output.WriteLineAsync(reply.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
