using System.Diagnostics.Metrics;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// The <c>trust/1</c> counters, on the Placement meter: requests served by status and the bytes answered, pulls by
/// how they ended, and the bytes and records they brought. Records refused are counted by reason by the library
/// (<c>overlay.placement.trust_records_rejected{reason}</c>).
/// </summary>
public sealed class TrustExchangeMetrics
{
    private static readonly KeyValuePair<string, object?>[] StatusTags = Tags("status", Enum.GetNames<TrustExchangeStatus>());
    private static readonly KeyValuePair<string, object?>[] ResultTags = Tags("result", Enum.GetNames<InteractionResult>());
    private readonly Counter<long> _served;
    private readonly Counter<long> _servedBytes;
    private readonly Counter<long> _pulls;
    private readonly Counter<long> _pulledBytes;
    private readonly long[] _servedTotals = new long[StatusTags.Length];
    private readonly long[] _pullTotals = new long[ResultTags.Length];
    private long _servedBytesTotal;
    private long _pulledBytesTotal;
    private long _sentBytesTotal;
    private long _recordsFetched;

    /// <summary>Creates the instruments on <paramref name="meter"/> (the <c>Overlay.Placement</c> meter).</summary>
    public TrustExchangeMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _served = meter.CreateCounter<long>("overlay.placement.trust_requests_served", "{request}", "trust/1 requests answered, by status.");
        _servedBytes = meter.CreateCounter<long>("overlay.placement.trust_bytes_served", "By", "Bytes of trust/1 answers sent.");
        _pulls = meter.CreateCounter<long>("overlay.placement.trust_pulls", "{pull}", "trust/1 pulls from peers, by how they ended.");
        _pulledBytes = meter.CreateCounter<long>("overlay.placement.trust_bytes_pulled", "By", "Bytes of trust/1 answers received.");
    }

    /// <summary>Requests answered with <paramref name="status"/> so far.</summary>
    public long ServedTotal(TrustExchangeStatus status) => Interlocked.Read(ref _servedTotals[(int)status]);

    /// <summary>Bytes of answers sent so far.</summary>
    public long BytesServed => Interlocked.Read(ref _servedBytesTotal);

    /// <summary>Pulls that ended with <paramref name="result"/> so far.</summary>
    public long PullTotal(InteractionResult result) => Interlocked.Read(ref _pullTotals[(int)result]);

    /// <summary>Bytes of answers received by pulls so far.</summary>
    public long BytesPulled => Interlocked.Read(ref _pulledBytesTotal);

    /// <summary>Bytes of requests sent by pulls so far.</summary>
    public long BytesRequested => Interlocked.Read(ref _sentBytesTotal);

    /// <summary>Records received by pulls so far (accepted or not).</summary>
    public long RecordsFetched => Interlocked.Read(ref _recordsFetched);

    internal void Served(TrustExchangeStatus status, int bytes)
    {
        Interlocked.Increment(ref _servedTotals[(int)status]);
        Interlocked.Add(ref _servedBytesTotal, bytes);
        _served.Add(1, StatusTags[(int)status]);
        _servedBytes.Add(bytes);
    }

    internal void Pulled(TrustPullResult pull)
    {
        Interlocked.Increment(ref _pullTotals[(int)pull.Result]);
        Interlocked.Add(ref _pulledBytesTotal, pull.BytesReceived);
        Interlocked.Add(ref _sentBytesTotal, pull.BytesSent);
        Interlocked.Add(ref _recordsFetched, pull.RecordsFetched);
        _pulls.Add(1, ResultTags[(int)pull.Result]);
        _pulledBytes.Add(pull.BytesReceived);
    }

    private static KeyValuePair<string, object?>[] Tags(string name, string[] values)
    {
        var tags = new KeyValuePair<string, object?>[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            tags[i] = new(name, values[i]);
        }

        return tags;
    }
}
