namespace Overlay.Node.Reachability;

/// <summary>
/// This node's clock against its peers', from the clocks they put in <c>reach/1</c> answers. One peer's
/// clock may be wrong; the median of several is what the node's own clock is judged by.
/// </summary>
/// <param name="Peers">Peers whose answer carried a clock.</param>
/// <param name="MedianMs">The median of their skews (peer minus this node), ms; positive: this node's clock is behind.</param>
/// <param name="ErrorMs">The largest error bound (half a round trip) among them, ms.</param>
public readonly record struct ClockSkew(int Peers, double MedianMs, double ErrorMs)
{
    /// <summary>The skew from the probes that carry a clock; null when none does.</summary>
    public static ClockSkew? Of(IEnumerable<ReachProbe> probes)
    {
        ArgumentNullException.ThrowIfNull(probes);
        var skews = new List<double>();
        var error = 0.0;
        foreach (var p in probes)
        {
            if (p.Answer is not null && double.IsFinite(p.SkewMs))
            {
                skews.Add(p.SkewMs);
                error = Math.Max(error, p.SkewErrorMs);
            }
        }

        if (skews.Count == 0)
        {
            return null;
        }

        skews.Sort();
        var mid = skews.Count / 2;
        var median = skews.Count % 2 == 1 ? skews[mid] : (skews[mid - 1] + skews[mid]) / 2;
        return new ClockSkew(skews.Count, median, error);
    }

    /// <summary>The skew beyond what the measurement cannot tell apart from zero, ms (never negative).</summary>
    public double CertainMs => Math.Max(0, Math.Abs(MedianMs) - ErrorMs);
}
