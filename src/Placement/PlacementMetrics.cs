using System.Diagnostics.Metrics;
using Overlay.Placement.Selection;
using Overlay.Placement.Trust;

namespace Overlay.Placement;

/// <summary>
/// Counters of the trust and placement library: refused local-trust records by reason (peers control that
/// volume, so it is counted, never logged) and placements that fell short of their caps or their replica
/// count. Totals are also kept in-process for the simulator and tests.
/// </summary>
public sealed class PlacementMetrics
{
    /// <summary>Name of the meter a node creates when none is given.</summary>
    public const string MeterName = "Overlay.Placement";

    private static readonly KeyValuePair<string, object?>[] RejectionTags = BuildTags(Enum.GetNames<TrustRecordRejection>());
    private static readonly KeyValuePair<string, object?>[] ShortfallTags = BuildTags(Enum.GetNames<ShortfallKind>());

    private readonly Counter<long> _recordsRejected;
    private readonly Counter<long> _recordsAccepted;
    private readonly Counter<long> _shortfalls;
    private readonly long[] _rejectedTotals = new long[RejectionTags.Length];
    private readonly long[] _shortfallTotals = new long[ShortfallTags.Length];
    private long _acceptedTotal;

    /// <summary>Creates the counters on <paramref name="meter"/>.</summary>
    public PlacementMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Meter = meter;
        _recordsRejected = meter.CreateCounter<long>("overlay.placement.trust_records_rejected", description: "Local-trust records refused, by reason.");
        _recordsAccepted = meter.CreateCounter<long>("overlay.placement.trust_records_accepted", description: "Local-trust records accepted into the matrix.");
        _shortfalls = meter.CreateCounter<long>("overlay.placement.shortfalls", description: "Replicas placed past a diversity cap or not placed at all, by kind.");
    }

    /// <summary>The meter the counters live on.</summary>
    public Meter Meter { get; }

    /// <summary>Records accepted so far.</summary>
    public long RecordsAccepted => Interlocked.Read(ref _acceptedTotal);

    /// <summary>Records refused so far for <paramref name="reason"/>.</summary>
    public long RecordsRejected(TrustRecordRejection reason) => Interlocked.Read(ref _rejectedTotals[(int)reason]);

    /// <summary>Replicas counted so far under <paramref name="kind"/>.</summary>
    public long Shortfalls(ShortfallKind kind) => Interlocked.Read(ref _shortfallTotals[(int)kind]);

    internal void RecordAccepted()
    {
        Interlocked.Increment(ref _acceptedTotal);
        _recordsAccepted.Add(1);
    }

    /// <summary>Counts a refusal; the book counts its own, a caller the checks it makes before the book (the carried key, admission, capacity).</summary>
    public void RecordRejected(TrustRecordRejection reason)
    {
        Interlocked.Increment(ref _rejectedTotals[(int)reason]);
        _recordsRejected.Add(1, RejectionTags[(int)reason]);
    }

    internal void Shortfall(ShortfallKind kind, int replicas)
    {
        if (replicas <= 0)
        {
            return;
        }

        Interlocked.Add(ref _shortfallTotals[(int)kind], replicas);
        _shortfalls.Add(replicas, ShortfallTags[(int)kind]);
    }

    private static KeyValuePair<string, object?>[] BuildTags(string[] names)
    {
        var tags = new KeyValuePair<string, object?>[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            tags[i] = new("reason", names[i]);
        }

        return tags;
    }
}
