using System.Diagnostics.Metrics;

namespace Overlay.Node.Files;

/// <summary>The file layer's counters (meter <see cref="MeterName"/>); the refusals are also kept as totals for tests and status.</summary>
public sealed class FileMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Overlay.Node.Files";

    private readonly Counter<long> _completed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _manifestsRejected;
    private readonly Counter<long> _shardsRejected;
    private readonly Counter<long> _hedges;
    private readonly long[] _manifestRejections = new long[Enum.GetValues<ManifestError>().Length];
    private long _shardsRejectedTotal;

    /// <summary>Creates the counters on <paramref name="meter"/>.</summary>
    public FileMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _completed = meter.CreateCounter<long>("overlay.files.completed", description: "Stores and fetches of files that finished, by operation");
        _failed = meter.CreateCounter<long>("overlay.files.failed", description: "Stores and fetches of files that failed, by operation and error");
        _manifestsRejected = meter.CreateCounter<long>("overlay.files.manifests_rejected", description: "Manifests fetched that did not decode or verify, by reason");
        _shardsRejected = meter.CreateCounter<long>("overlay.files.shards_rejected", description: "Shards fetched for a file whose bytes did not match their id or length");
        _hedges = meter.CreateCounter<long>("overlay.files.hedged_requests", description: "Extra shard requests made because one was slow or failed");
    }

    /// <summary>Manifests refused for <paramref name="reason"/> since start.</summary>
    public long ManifestsRejected(ManifestError reason) => Interlocked.Read(ref _manifestRejections[(int)reason]);

    /// <summary>Shards refused since start.</summary>
    public long ShardsRejected => Interlocked.Read(ref _shardsRejectedTotal);

    public void Completed(string operation) => _completed.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void Failed(string operation, FileError error) =>
        _failed.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("error", error.ToString()));

    public void ManifestRejected(ManifestError reason)
    {
        Interlocked.Increment(ref _manifestRejections[(int)reason]);
        _manifestsRejected.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
    }

    public void ShardRejected()
    {
        Interlocked.Increment(ref _shardsRejectedTotal);
        _shardsRejected.Add(1);
    }

    public void Hedged() => _hedges.Add(1);
}
