namespace Overlay.Placement.Selection;

/// <summary>
/// What a selection achieved. Replicas placed within every cap come first in the chosen list; the last
/// <see cref="Relaxed"/> were placed past a cap because no candidate that kept the caps was left (one host,
/// one LAN, a small network). Placement never refuses for lack of diversity alone; it reports it here.
/// </summary>
/// <param name="Placed">New replicas chosen.</param>
/// <param name="Relaxed">Of those, how many were placed past a cap (the last ones chosen).</param>
/// <param name="SubnetCapExceeded">Relaxed replicas that share a public /24 or /48 with another replica.</param>
/// <param name="ClusterCapExceeded">Relaxed replicas that push a region or cluster past ⌈r/2⌉.</param>
/// <param name="Missing">Replicas asked for but not placed: no eligible candidate was left.</param>
public readonly record struct PlacementOutcome(int Placed, int Relaxed, int SubnetCapExceeded, int ClusterCapExceeded, int Missing)
{
    /// <summary>True when every asked replica was placed within every cap.</summary>
    public bool IsComplete => Relaxed == 0 && Missing == 0;
}
