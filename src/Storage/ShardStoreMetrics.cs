using System.Diagnostics.Metrics;

namespace Overlay.Storage;

/// <summary>
/// The store's instruments (meter <c>Overlay.Storage</c>). One meter per store, so two stores in one
/// process (tests, tools) never mix their counts.
/// </summary>
internal sealed class ShardStoreMetrics : IDisposable
{
    public const string MeterName = "Overlay.Storage";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public ShardStoreMetrics(IMeterFactory? meterFactory, Func<StorageUsage> usage)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Corrupted = _meter.CreateCounter<long>("overlay.storage.corrupted", "{shard}", "Shards whose bytes failed verification or could not be read; tagged reason (hash_mismatch, unreadable) and source (read, scrub).");
        Puts = _meter.CreateCounter<long>("overlay.storage.puts", "{shard}", "Puts acknowledged or refused; tagged result (stored, duplicate, quota, owner_quota, too_large, id_mismatch, disk_full, failed).");
        Collected = _meter.CreateCounter<long>("overlay.storage.collected", "{shard}", "Expired shards deleted by the collector.");
        HoldsReleased = _meter.CreateCounter<long>("overlay.storage.holds_released", "{hold}", "Expired holds released by the collector from shards that stay.");
        BatchSize = _meter.CreateHistogram<int>("overlay.storage.write_batch_size", "{operation}", "Operations committed per write transaction.");
        BookkeepingDropped = _meter.CreateCounter<long>("overlay.storage.bookkeeping_dropped", "{entry}", "Last-verified updates dropped because the bookkeeping queue was full.");
        _meter.CreateObservableGauge("overlay.storage.used_bytes", () => usage().UsedBytes, "By", "Committed shard payload bytes.");
        _meter.CreateObservableGauge("overlay.storage.charged_bytes", () => usage().ChargedBytes, "By", "Bytes charged against the quota: payload plus a fixed charge per shard.");
        _meter.CreateObservableGauge("overlay.storage.shards", () => usage().ShardCount, "{shard}", "Committed shards.");
    }

    public Meter Meter => _meter;

    public Counter<long> Corrupted { get; }

    public Counter<long> Puts { get; }

    public Counter<long> Collected { get; }

    public Counter<long> HoldsReleased { get; }

    public Counter<long> BookkeepingDropped { get; }

    public Histogram<int> BatchSize { get; }

    /// <summary>Counts what one collection removed.</summary>
    public void CountSweep(ExpirySweep sweep)
    {
        Collected.Add(sweep.ShardsDeleted);
        HoldsReleased.Add(sweep.HoldsReleased);
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
