namespace Overlay.Placement.Selection;

/// <summary>
/// How many replicas an object gets: the base count, raised until losing every replica within one repair
/// interval is no likelier than <see cref="PlacementOptions.TargetLossProbability"/> given the candidates'
/// failure rate, and raised for demand so no replica serves more than
/// <see cref="PlacementOptions.ReadsPerReplicaPerHour"/>, capped at <see cref="PlacementOptions.MaxReplicas"/>.
/// </summary>
/// <remarks>
/// With independent failures of probability f per replica and repair interval, all r fail with probability
/// f^r, so r ≥ ln(target) / ln(f). At the defaults (target 1e-6): f = 0.01 keeps r = 3, f = 0.05 gives 5,
/// f = 0.1 gives 6, f = 0.3 gives 12, f = 0.5 gives 20.
/// </remarks>
public static class ReplicationRule
{
    /// <summary>
    /// Replicas for an object read <paramref name="readsPerHour"/> times an hour, placed on candidates whose
    /// replicas each fail within a repair interval with probability <paramref name="failureProbability"/>
    /// (for example <see cref="WeightedCandidates.ExpectedFailureRate"/>).
    /// </summary>
    public static int ReplicasFor(PlacementOptions options, double readsPerHour, double failureProbability)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(readsPerHour >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(readsPerHour), readsPerHour, "Demand is zero or more reads per hour.");
        }

        if (!(failureProbability >= 0 && failureProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(failureProbability), failureProbability, "A failure probability lies in [0, 1].");
        }

        var replicas = (double)options.BaseReplicas;
        if (failureProbability >= 1)
        {
            replicas = options.MaxReplicas;
        }
        else if (failureProbability > 0)
        {
            // The small allowance keeps an exact power (0.01³ = 1e-6) from rounding up to one replica more.
            replicas = Math.Max(replicas, Math.Ceiling((Math.Log(options.TargetLossProbability) / Math.Log(failureProbability)) - 1e-9));
        }

        replicas = Math.Max(replicas, Math.Ceiling(readsPerHour / options.ReadsPerReplicaPerHour));
        return (int)Math.Min(replicas, options.MaxReplicas);
    }
}
