using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>Orders a shard's holders by measured round trip, nearest first; holders never measured go last, in the order found.</summary>
public static class HolderRanking
{
    /// <summary>The location of <paramref name="id"/> with <paramref name="holders"/> ranked by <paramref name="roundTrips"/> (milliseconds per peer).</summary>
    public static ShardLocation Rank(ShardId id, IReadOnlyList<HolderCandidate> holders, IReadOnlyDictionary<PeerId, double>? roundTrips)
    {
        ArgumentNullException.ThrowIfNull(holders);
        // OrderBy is stable: equal (or unknown) round trips keep the order the holders were found in.
        var ranked = holders.Select(h => (Holder: h, Rtt: RoundTrip(h.Peer, roundTrips))).OrderBy(r => r.Rtt).ToList();
        return new ShardLocation(id, ranked.Count == 0 ? double.PositiveInfinity : ranked[0].Rtt, [.. ranked.Select(r => r.Holder)]);
    }

    /// <summary>The measured (or predicted) round trip to each contact with one, in milliseconds, from the routing table's contacts.</summary>
    public static IReadOnlyDictionary<PeerId, double> RoundTripsOf(IEnumerable<ContactSnapshot> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var result = new Dictionary<PeerId, double>();
        foreach (var c in contacts)
        {
            if (double.IsFinite(c.LatencyMs))
            {
                result[c.Id] = c.LatencyMs;
            }
        }

        return result;
    }

    private static double RoundTrip(PeerId peer, IReadOnlyDictionary<PeerId, double>? roundTrips) =>
        roundTrips is not null && roundTrips.TryGetValue(peer, out var rtt) && double.IsFinite(rtt) && rtt >= 0 ? rtt : double.PositiveInfinity;
}
