using System.Diagnostics.Metrics;

namespace Overlay.Placement.Capacity;

/// <summary>
/// Counters of capacity records: accepted, and refused by reason (peers control that volume, so it is counted,
/// never logged). Totals are also kept in-process for the simulator, the status and tests.
/// </summary>
public sealed class CapacityMetrics
{
    private static readonly KeyValuePair<string, object?>[] RejectionTags =
        [.. Enum.GetNames<CapacityRecordRejection>().Select(n => new KeyValuePair<string, object?>("reason", n))];

    private readonly Counter<long> _rejected;
    private readonly Counter<long> _accepted;
    private readonly long[] _rejectedTotals = new long[RejectionTags.Length];
    private long _acceptedTotal;

    /// <summary>Creates the counters on <paramref name="meter"/>.</summary>
    public CapacityMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _rejected = meter.CreateCounter<long>("overlay.placement.capacity_records_rejected", description: "Capacity records refused, by reason.");
        _accepted = meter.CreateCounter<long>("overlay.placement.capacity_records_accepted", description: "Capacity records accepted.");
    }

    /// <summary>Records accepted so far.</summary>
    public long AcceptedTotal => Interlocked.Read(ref _acceptedTotal);

    /// <summary>Records refused so far for <paramref name="reason"/>.</summary>
    public long RejectedTotal(CapacityRecordRejection reason) => Interlocked.Read(ref _rejectedTotals[(int)reason]);

    /// <summary>Records refused so far, every reason.</summary>
    public long RejectedAll
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _rejectedTotals.Length; i++)
            {
                sum += Interlocked.Read(ref _rejectedTotals[i]);
            }

            return sum;
        }
    }

    internal void Accepted()
    {
        Interlocked.Increment(ref _acceptedTotal);
        _accepted.Add(1);
    }

    /// <summary>Counts a refusal: the book counts its own, a caller those it finds before the book (an answer that does not decode).</summary>
    public void Rejected(CapacityRecordRejection reason)
    {
        Interlocked.Increment(ref _rejectedTotals[(int)reason]);
        _rejected.Add(1, RejectionTags[(int)reason]);
    }
}
