using Overlay.Node.Configuration;
using Overlay.Node.Hosting;
using Overlay.Storage;

namespace Overlay.Node.Cli;

/// <summary><c>overlay verify</c>: scrubs the shard store, re-hashing every shard, and reports what it found.</summary>
public sealed class VerifyCommand : ICliCommand
{
    /// <summary>Most damaged shard ids listed by name; the rest are counted.</summary>
    private const int MaxListed = 50;

    public CommandSpec Spec { get; } = Specs.Of(
        "verify", "Re-hash every stored shard and report corrupted or unreadable ones (the node must be stopped).",
        "overlay verify [--data-dir DIR] [--config FILE]", ["--data-dir", "--config"]);

    public async Task<int> RunAsync(ParsedArguments args, CliContext context, CancellationToken cancellationToken)
    {
        var settings = NodeSettings.Load(args.Single("--data-dir"), args.Single("--config"), new Dictionary<string, string?>(), context.Environment);
        DataDirectory.RequireAccessible(settings.DataDirectory);
        var options = new StorageOptions();
        var problems = OptionsRegistration.Check(settings.Configuration, StorageOptionsValidator.Section, options, StorageOptionsValidator.Validate);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(string.Join(" ", problems));
        }

        StoragePaths.Resolve(options, settings.DataDirectory);
        if (!File.Exists(Path.Combine(options.Directory, "shards.db")))
        {
            await context.Output.WriteLineAsync($"No shard store in {options.Directory}; nothing to verify.").ConfigureAwait(false);
            return ExitCodes.Success;
        }

        try
        {
            var store = SqliteShardStore.Open(options);
            await using (store.ConfigureAwait(false))
            {
                var report = await store.VerifyAllAsync(null, cancellationToken).ConfigureAwait(false);
                await context.Output.WriteLineAsync(
                    $"Checked {report.Checked} shards in {report.Elapsed.TotalSeconds:F1} s: {report.Ok} intact, {report.CorruptedIds.Count} corrupted (quarantined), {report.UnreadableIds.Count} unreadable, {report.UnreadablePages.Count} damaged database pages.").ConfigureAwait(false);
                await ListAsync(context, "corrupted", report.CorruptedIds).ConfigureAwait(false);
                await ListAsync(context, "unreadable", report.UnreadableIds).ConfigureAwait(false);
                foreach (var page in report.UnreadablePages.Take(MaxListed))
                {
                    await context.Output.WriteLineAsync($"  damaged page: {page}").ConfigureAwait(false);
                }

                // Earlier scrubs and reads quarantined shards too; the operator sees how many in all.
                var quarantined = 0;
                await foreach (var _ in store.EnumerateQuarantineAsync(cancellationToken).ConfigureAwait(false))
                {
                    quarantined++;
                }

                await context.Output.WriteLineAsync($"Quarantined shards in all: {quarantined}.").ConfigureAwait(false);

                return report.IsClean ? ExitCodes.Success : ExitCodes.DataError;
            }
        }
        catch (StorageException e)
        {
            var hint = e.Reason == StorageErrorReason.Locked ? " Stop the running node first." : string.Empty;
            await context.Error.WriteLineAsync($"overlay: {e.Message}{hint}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    private static async Task ListAsync(CliContext context, string what, IReadOnlyList<ShardId> ids)
    {
        for (var i = 0; i < ids.Count && i < MaxListed; i++)
        {
            await context.Output.WriteLineAsync($"  {what}: {ids[i]}").ConfigureAwait(false);
        }

        if (ids.Count > MaxListed)
        {
            await context.Output.WriteLineAsync($"  ... and {ids.Count - MaxListed} more {what} shards").ConfigureAwait(false);
        }
    }
}
