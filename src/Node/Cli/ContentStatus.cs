using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Overlay.Storage;

namespace Overlay.Node.Cli;

/// <summary><c>overlay status ID</c>: the stripes of stored content, their live shards and how many more each can lose.</summary>
internal static class ContentStatus
{
    public static Task<int> ShowAsync(ParsedArguments args, CliContext context, string id, CancellationToken cancellationToken)
    {
        if (!ShardId.TryParse(id, out _))
        {
            throw new CliUsageException($"'{ParsedArguments.Shorten(id)}' is not a content id (64 hexadecimal characters, as 'overlay store' prints it).");
        }

        var json = args.Has("--json");
        var request = new JsonObject { ["command"] = "file-status", ["key"] = id };
        return DaemonCall.RunAsync(context, DaemonCall.DataDirectoryOf(args, context), request, async reply =>
        {
            reply.Remove("ok");
            await context.Output.WriteAsync(json ? reply.ToJsonString(CliJson.Indented) + "\n" : Format(reply)).ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken);
    }

    internal static string Format(JsonObject reply)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Content     {reply["id"]} ({reply["name"]?.GetValue<string>() ?? "no name"})\n");
        text.Append(CultureInfo.InvariantCulture, $"Size        {reply["bytes"]} bytes, {reply["stripeCount"]} stripes of {reply["chunkBytes"]} bytes, code {reply["code"]}\n");
        text.Append(CultureInfo.InvariantCulture, $"Owner       {reply["owner"]}, signed {reply["created"]}\n");
        if (reply["pinned"] is JsonValue pinned)
        {
            text.Append(CultureInfo.InvariantCulture, $"Pinned      {(pinned.GetValue<bool>() ? "yes" : "no")}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Manifest    {reply["manifestHolders"]!.AsArray().Count} holders with live receipts\n");
        var stripes = reply["stripes"]!.AsArray();
        var weakest = stripes.Count == 0 ? 0 : stripes.Min(s => s!["canLose"]!.GetValue<int>());
        text.Append(CultureInfo.InvariantCulture, $"Health      every stripe can lose {weakest} more shard(s) (from this node's receipts)\n");
        foreach (var s in stripes)
        {
            text.Append(CultureInfo.InvariantCulture, $"  stripe {s!["stripe"],5}: {s["live"]}/{s["shards"]} shards live on {s["holders"]} holders, can lose {s["canLose"]}\n");
        }

        return text.ToString();
    }
}
