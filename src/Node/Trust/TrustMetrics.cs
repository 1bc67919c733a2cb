using System.Diagnostics.Metrics;
using Overlay.Transport.Interactions;

namespace Overlay.Node.Trust;

/// <summary>
/// The node's trust counters, on the Placement meter beside the library's: exchanges observed by result,
/// trust computations, and gauges of the peers with local trust and the latest computation's iterations.
/// </summary>
public sealed class TrustMetrics
{
    private static readonly KeyValuePair<string, object?>[] ResultTags = BuildTags();
    private readonly Counter<long> _observed;
    private readonly Counter<long> _recomputes;
    private readonly long[] _observedTotals = new long[ResultTags.Length];
    private long _recomputeTotal;

    /// <summary>Creates the instruments on <paramref name="meter"/> (the <c>Overlay.Placement</c> meter).</summary>
    public TrustMetrics(Meter meter, Func<int> trackedPeers, Func<int> lastIterations)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _observed = meter.CreateCounter<long>("overlay.placement.interactions_observed", "{exchange}", "Exchanges with peers observed for trust, by result.");
        _recomputes = meter.CreateCounter<long>("overlay.placement.trust_recomputes", "{computation}", "Global trust computations.");
        meter.CreateObservableGauge("overlay.placement.trust_tracked_peers", trackedPeers, "{peer}", "Peers this node holds local-trust evidence on.");
        meter.CreateObservableGauge("overlay.placement.trust_iterations", lastIterations, "{iteration}", "Power iterations of the latest trust computation.");
    }

    /// <summary>Exchanges observed so far with <paramref name="result"/>.</summary>
    public long ObservedTotal(InteractionResult result) => Interlocked.Read(ref _observedTotals[(int)result]);

    /// <summary>Trust computations so far.</summary>
    public long Recomputes => Interlocked.Read(ref _recomputeTotal);

    internal void Observed(InteractionResult result)
    {
        Interlocked.Increment(ref _observedTotals[(int)result]);
        _observed.Add(1, ResultTags[(int)result]);
    }

    internal void Recomputed()
    {
        Interlocked.Increment(ref _recomputeTotal);
        _recomputes.Add(1);
    }

    private static KeyValuePair<string, object?>[] BuildTags()
    {
        var names = Enum.GetNames<InteractionResult>();
        var tags = new KeyValuePair<string, object?>[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            tags[i] = new("result", names[i]);
        }

        return tags;
    }
}
