using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Routing;
using Overlay.Node.Shards;
using Overlay.Placement;
using Overlay.Placement.Selection;
using Overlay.Storage;
using Overlay.Transport;

namespace Overlay.Node.Trust;

/// <summary>
/// Chooses holders with the placement library (<c>ShardExchange:Placement = "trust"</c>): the routing
/// table's contacts are the candidates, weighed by global trust, this node's measured RTT and success rate,
/// and subnet diversity, and sampled without replacement under the caps (docs/PLACEMENT.md, "Selection").
/// The first <c>replicas</c> candidates are the placement; the rest follow in the same weighted order, so a
/// put that meets refusals moves on to the next draw rather than to the next-closest id.
/// </summary>
/// <remarks>
/// Capacity is not announced between nodes yet, so every candidate is weighed as announcing
/// <see cref="PlacementOptions.CapacityReferenceBytes"/>: the same capacity factor for all, which leaves the
/// other factors to decide; a holder that refuses for lack of room loses success rate, and so weight.
/// Uptime is not measured yet and counts as unknown (0.5 for all).
/// </remarks>
/// <param name="self">This node: never a candidate.</param>
/// <param name="replicas">Holders a put places (<c>ShardExchange:Replicas</c>).</param>
/// <param name="contacts">The routing table's contacts at the moment of asking.</param>
/// <param name="trust">Global trust and this node's measured success rates.</param>
/// <param name="placer">The salted sampler; owned by the selector, which clears its salt when disposed.</param>
public sealed class TrustWeightedHolderSelector(
    PeerId self, int replicas, Func<IReadOnlyList<ContactSnapshot>> contacts, TrustService trust, ShardPlacer placer) : IShardHolderSelector, IDisposable
{
    /// <summary>Most candidates returned: the placement library selects at most 64 at once.</summary>
    public const int MaxCandidates = 64;

    /// <inheritdoc/>
    public IReadOnlyList<HolderCandidate> Candidates(ShardId id)
    {
        var holders = new List<HolderCandidate>();
        var candidates = new List<PlacementCandidate>();
        var options = trust.Options;
        foreach (var contact in contacts())
        {
            if (contact.Id == self || contact.Address is not { } text || !TransportAddress.TryParse(text, out var address, out _))
            {
                continue;
            }

            var coordinate = contact.Coordinate;
            holders.Add(new HolderCandidate(contact.Id, address.WithPeer(contact.Id)));
            candidates.Add(new PlacementCandidate(
                contact.Id,
                NetworkGroup.Of(address).Value,
                Region: 0,
                coordinate?.X ?? double.NaN,
                coordinate?.Y ?? double.NaN,
                contact.LatencyMs > 0 ? contact.LatencyMs : double.NaN,
                trust.Observations.Performance.SuccessRate(contact.Id),
                Uptime: double.NaN,
                options.CapacityReferenceBytes));
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        Span<byte> objectId = stackalloc byte[ShardId.Size];
        id.WriteTo(objectId);
        var set = WeightedCandidates.Prepare(candidates.ToArray(), trust.Current, options);
        var wanted = Math.Min(candidates.Count, MaxCandidates);
        var first = Math.Min(replicas, wanted);
        var chosen = new int[wanted];
        var placed = placer.Select(objectId, first, set, self, chosen).Placed;
        if (placed < wanted)
        {
            // The rest in weighted order too, the first ones counting as holders (never drawn again).
            var taken = new PeerId[placed];
            for (var i = 0; i < placed; i++)
            {
                taken[i] = set.PeerAt(chosen[i]);
            }

            var rest = new int[wanted];
            var more = placer.Select(objectId, wanted, set, self, rest, holders: taken).Placed;
            rest.AsSpan(0, more).CopyTo(chosen.AsSpan(placed));
            placed += more;
        }

        var result = new List<HolderCandidate>(placed);
        for (var i = 0; i < placed; i++)
        {
            result.Add(holders[chosen[i]]);
        }

        return result;
    }

    /// <inheritdoc/>
    public void Dispose() => placer.Dispose();
}
