namespace Overlay.Cluster;

/// <summary>Nearest-rank percentiles and medians of measured samples.</summary>
internal static class Percentiles
{
    /// <summary>The <paramref name="p"/>-th percentile (0–100) by nearest rank; NaN for no samples.</summary>
    public static double Of(IReadOnlyCollection<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
