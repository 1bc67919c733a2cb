using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Overlay.Storage;

namespace Overlay.Node.Cli;

/// <summary><c>overlay status ID</c>: the stripes of a stored file, their live shards and how many more each can lose; or a directory's files and the health of each.</summary>
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
        var directory = reply["kind"]?.GetValue<string>() == "directory";
        if (directory)
        {
            text.Append(CultureInfo.InvariantCulture, $"Size        {reply["bytes"]} bytes in {reply["files"]} files (a directory)\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"Size        {reply["bytes"]} bytes, {reply["stripeCount"]} stripes of {reply["chunkBytes"]} bytes, code {reply["code"]}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"Owner       {reply["owner"]}, signed {reply["created"]}\n");
        if (reply["pinned"] is JsonValue pinned)
        {
            text.Append(CultureInfo.InvariantCulture, $"Pinned      {(pinned.GetValue<bool>() ? "yes" : "no")}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Manifest    {reply["manifestHolders"]!.AsArray().Count} holders with live receipts\n");
        if (directory)
        {
            foreach (var e in reply["entries"]!.AsArray())
            {
                var health = e!["canLose"] is JsonValue canLose ? $"can lose {canLose} shard(s) per stripe" : "no receipts here";
                text.Append(CultureInfo.InvariantCulture, $"  {e["id"]}  {e["bytes"],14} B  {(e["executable"]!.GetValue<bool>() ? "x" : "-")}  {health,-30}  {e["path"]}\n");
            }

            return text.ToString();
        }

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
