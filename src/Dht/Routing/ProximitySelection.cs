namespace Overlay.Dht.Routing;

/// <summary>
/// The routing table's preference for low-latency contacts (only with <see cref="DhtOptions.PreferLowLatency"/>):
/// which contact a faster newcomer displaces from a full far bucket, and which replacement-cache entry takes a
/// freed slot. It only chooses; the table moves the contacts and keeps its counts. Owned by one
/// <see cref="RoutingTable"/> and called only by it, so by the table's one owner.
/// </summary>
/// <param name="options">The table's options.</param>
/// <param name="diversity">The table's diversity limits: no choice here may break them.</param>
/// <param name="neighbourhoodBucket">
/// The shallowest bucket holding part of the node's own k closest contacts (asked only when a swap is
/// otherwise possible, since it scans the buckets).
/// </param>
internal sealed class ProximitySelection(DhtOptions options, GroupDiversity diversity, Func<int> neighbourhoodBucket)
{
    // A newcomer must be at least this much faster than the slowest contact to take its place, so that
    // measurement noise does not swap two similar peers back and forth.
    private const double ProximityGain = 0.75;

    /// <summary>
    /// Proximity neighbour selection (Castro et al., "Exploiting network proximity in peer-to-peer overlay
    /// networks", 2002): any peer of a far bucket's range serves routing equally well, so a full far bucket
    /// trades its slowest contact for a newcomer at least a quarter faster. The newcomer's RTT must be
    /// measured (it answered this node); the contact being pinged is never displaced. Buckets holding the
    /// node's own k closest contacts are left alone: there every contact is a neighbour that lookups for
    /// nearby keys must find. Returns the slot of the contact to displace, or -1 to keep the bucket as it is.
    /// </summary>
    public int SlotToSwap(KBucket b, Contact newcomer)
    {
        if (!options.PreferLowLatency || !options.ProximityNeighbourSelection || double.IsNaN(newcomer.LatencyMs) ||
            b.Index >= neighbourhoodBucket())
        {
            return -1;
        }

        var slowest = -1;
        for (var i = 0; i < b.Count; i++)
        {
            var c = b.Entry(i);
            if (!double.IsNaN(c.LatencyMs) && c != b.PendingPing && (slowest < 0 || c.LatencyMs > b.Entry(slowest).LatencyMs))
            {
                slowest = i;
            }
        }

        if (slowest < 0 || newcomer.LatencyMs >= ProximityGain * b.Entry(slowest).LatencyMs)
        {
            return -1;
        }

        return diversity.AllowsSwap(b, b.Entry(slowest), newcomer) ? slowest : -1;
    }

    /// <summary>
    /// Chooses the cache entry that takes a freed slot, or -1 when none may. Kademlia takes the most
    /// recently seen; when latency preference is on and latencies are known, the lowest-latency entry wins
    /// instead — every cache entry is an equally valid replacement, so this is a choice Kademlia leaves
    /// open. Entries the diversity limits would refuse are skipped.
    /// </summary>
    public int PickReplacement(KBucket b)
    {
        var best = -1;
        for (var i = b.CacheCount - 1; i >= 0; i--)
        {
            var c = b.CacheEntry(i);
            if (diversity.Refusal(b, c.Group) is not null)
            {
                continue;
            }

            if (best < 0)
            {
                best = i;
                if (!options.PreferLowLatency)
                {
                    break;
                }

                continue;
            }

            var current = b.CacheEntry(best).LatencyMs;
            if (!double.IsNaN(c.LatencyMs) && (double.IsNaN(current) || c.LatencyMs < current))
            {
                best = i;
            }
        }

        return best;
    }
}
