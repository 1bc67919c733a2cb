using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
    ShardStoreOpener? opener = null) : BackgroundService
{
    private IShardStore? _store;
    private IShardStoreAdministration? _administration;

    /// <summary>The open store's data operations, for the node's services; available once the host has started.</summary>
    public IShardStore Store => _store ?? throw new InvalidOperationException("The shard store is not open yet.");

    /// <summary>The open store's administration (collection, scrub, quarantine); available once the host has started.</summary>
    public IShardStoreAdministration Administration => _administration ?? throw new InvalidOperationException("The shard store is not open yet.");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        (_store, _administration) = (opener ?? OpenSqlite)(options.Value, timeProvider, meterFactory, logger);
        var usage = _store.GetUsage();
        var detail = $"{usage.ShardCount} shards of {usage.UsedBytes} bytes, {usage.ChargedBytes} of the {usage.CapacityBytes}-byte quota charged, in {options.Value.Directory}";
        Log.ComponentStarted(logger, "shard store", detail);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private static (IShardStore, IShardStoreAdministration) OpenSqlite(StorageOptions options, TimeProvider timeProvider, IMeterFactory meterFactory, ILogger logger)
    {
        var store = SqliteShardStore.Open(options, timeProvider, meterFactory, logger);
        return (store, store);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _administration is null ? Task.CompletedTask : ExpiredShardCollector.RunAsync(_administration, options.Value, timeProvider, stoppingToken);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_store is not null)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
            _store = null;
            _administration = null;
        }
    }
}
