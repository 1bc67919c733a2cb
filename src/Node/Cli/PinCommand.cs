using System.Text.Json.Nodes;
using Overlay.Storage;

namespace Overlay.Node.Cli;

/// <summary>
/// <c>overlay pin ID</c> / <c>overlay unpin ID</c>: records durably whether the node keeps content alive
/// (pinned content's shards are the ones renewal and repair keep; unpinned content expires with its receipts).
/// Pinning content stored by another node fetches and verifies its manifest first.
/// </summary>
public sealed class PinCommand(bool pin) : ICliCommand
{
    public CommandSpec Spec { get; } = pin
        ? Specs.Of("pin", "Pin content: this node keeps its shards alive (renewal and repair).", "overlay pin ID [--json] [--data-dir DIR]", ["--data-dir"], flags: ["--json"], minPositionals: 1, maxPositionals: 1)
        : Specs.Of("unpin", "Unpin content: its shards expire with their receipts.", "overlay unpin ID [--json] [--data-dir DIR]", ["--data-dir"], flags: ["--json"], minPositionals: 1, maxPositionals: 1);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var id = args.Positionals[0];
        if (!ShardId.TryParse(id, out _))
        {
            throw new CliUsageException($"'{ParsedArguments.Shorten(id)}' is not a content id (64 hexadecimal characters, as 'overlay store' prints it).");
        }

        var json = args.Has("--json");
        var request = new JsonObject { ["command"] = pin ? "file-pin" : "file-unpin", ["key"] = id };
        return await DaemonCall.RunAsync(context, DaemonCall.DataDirectoryOf(args, context), request, async reply =>
        {
            reply.Remove("ok");
            await context.Output.WriteLineAsync(json ? reply.ToJsonString(CliJson.Indented) : $"{(pin ? "Pinned" : "Unpinned")} {id}.").ConfigureAwait(false);
            return ExitCodes.Success;
        }, cancellationToken).ConfigureAwait(false);
    }
}
