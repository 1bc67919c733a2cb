using System.Globalization;
using System.Text.Json.Nodes;
using Overlay.Node.Files;
using Overlay.Storage;

namespace Overlay.Node.Cli;

/// <summary>
/// <c>overlay fetch ID [-o PATH] [--range A-B]</c>: fetches a file by content id through the running node,
/// every shard and the whole file verified, written atomically; run again after an interruption, it
/// resumes where it stopped.
/// </summary>
public sealed class FetchCommand : ICliCommand
{
    public CommandSpec Spec { get; } = Specs.Of(
        "fetch", "Fetch a file or directory by content id (verified, written atomically, resumable); -o names the file or directory (default: the current directory, under the stored name).",
        "overlay fetch ID [-o PATH] [--range A-B] [--json] [--data-dir DIR]",
        ["-o", "--range", "--data-dir"], flags: ["--json"], minPositionals: 1, maxPositionals: 1);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var id = args.Positionals[0];
        if (!ShardId.TryParse(id, out _))
        {
            throw new CliUsageException($"'{ParsedArguments.Shorten(id)}' is not a content id (64 hexadecimal characters, as 'overlay store' prints it).");
        }

        var range = args.Single("--range");
        if (range is not null && !ByteRange.TryParse(range, out _))
        {
            throw new CliUsageException($"--range '{ParsedArguments.Shorten(range)}' is not A-B with 0 ≤ A ≤ B (bytes, both included).");
        }

        var output = Path.GetFullPath(args.Single("-o") ?? ".", context.WorkingDirectory);
        var dataDirectory = DaemonCall.DataDirectoryOf(args, context);
        var arguments = new JsonObject { ["output"] = output, ["range"] = range };
        var request = new JsonObject
        {
            ["command"] = "file-fetch",
            ["key"] = id,
            ["value"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(arguments.ToJsonString())),
        };
        var json = args.Has("--json");
        return await DaemonCall.RunAsync(context, dataDirectory, async client =>
        {
            var final = await OperationWatch.RunAsync(client, context, request, json, cancellationToken).ConfigureAwait(false);
            return await FileReplies.PrintAsync(context, final, json, result => result["kind"]?.GetValue<string>() == "directory"
                ? string.Create(CultureInfo.InvariantCulture, $"Wrote {result["files"]} files ({result["bytes"]} verified bytes) of directory {result["id"]} into {result["path"]}.\n")
                : string.Create(CultureInfo.InvariantCulture, $"Wrote {result["bytes"]} verified bytes of {result["id"]} to {result["path"]}.\n"), cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
