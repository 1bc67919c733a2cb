using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Overlay.Node.Composition;
using Overlay.Storage;

namespace Overlay.Node.Hosting;

/// <summary>
/// Owns the node's shard store: opens it when the node starts (so a damaged or locked store stops
/// the node before it serves anything), runs the expired-shard collector on the injected clock, and
/// closes it last.
/// </summary>
public sealed class ShardStoreService(
    IOptions<StorageOptions> options,
    TimeProvider timeProvider,
    IMeterFactory meterFactory,
    ILogger<ShardStoreService> logger,
    ShardStoreOpener? opener = null) : INodePart
{
    private IShardStore? _store;
    private IShardStoreAdministration? _administration;

    /// <summary>The open store's data operations, for the node's services; available once the host has started.</summary>
    public IShardStore Store => _store ?? throw new InvalidOperationException("The shard store is not open yet.");

    /// <summary>The open store's administration (collection, scrub, quarantine); available once the host has started.</summary>
    public IShardStoreAdministration Administration => _administration ?? throw new InvalidOperationException("The shard store is not open yet.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        (_store, _administration) = (opener ?? OpenSqlite)(options.Value, timeProvider, meterFactory, logger);
        var usage = _store.GetUsage();
        var detail = $"{usage.ShardCount} shards of {usage.UsedBytes} bytes, {usage.ChargedBytes} of the {usage.CapacityBytes}-byte quota charged, in {options.Value.Directory}";
        Log.ComponentStarted(logger, "shard store", detail);
        return Task.CompletedTask;
    }

    /// <summary>Opens the daemon's <see cref="SqliteShardStore"/> (a <see cref="ShardStoreOpener"/>).</summary>
    internal static (IShardStore, IShardStoreAdministration) OpenSqlite(StorageOptions options, TimeProvider timeProvider, IMeterFactory meterFactory, ILogger logger)
    {
        var store = SqliteShardStore.Open(options, timeProvider, meterFactory, logger);
        return (store, store);
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (_administration is null)
        {
            return;
        }

        try
        {
            await ExpiredShardCollector.RunAsync(_administration, options.Value, timeProvider, stoppingToken).ConfigureAwait(true);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(true);
            _store = null;
            _administration = null;
        }
    }
}
