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
/// and subnet diversity, a candidate already holding its share of this owner's shards losing its trust advantage, and sampled without replacement under the caps (docs/PLACEMENT.md, "Selection").
/// The first <c>replicas</c> candidates are the placement; the rest follow in the same weighted order, so a
/// put that meets refusals moves on to the next draw rather than to the next-closest id.
/// </summary>
/// <remarks>
/// Capacity is the smaller of the candidate's signed claim (fetched over <c>trust/1</c>) and what this node observed
/// since: the bytes it stored there come off the claim, and a refused store voids it until the next record
/// (<see cref="Placement.Capacity.CapacityBook.FreeBytesFor"/>); a candidate left with no room is not eligible. One without
/// a fresh record is weighed as announcing <see cref="PlacementOptions.CapacityReferenceBytes"/>. Uptime is the share of
/// this node's attempts that found the peer there (<see cref="PeerPerformance.Uptime"/>), never the peer's word.
/// </remarks>
/// <param name="self">This node: never a candidate.</param>
/// <param name="replicas">Holders a put places (<c>ShardExchange:Replicas</c>).</param>
/// <param name="contacts">The routing table's contacts at the moment of asking.</param>
/// <param name="trust">Global trust and this node's measured success rates.</param>
/// <param name="placer">The salted sampler; owned by the selector, which clears its salt when disposed.</param>
/// <param name="held">How many of this owner's shards a peer keeps already, for the share cap (<see cref="PlacementOptions.HolderShareCap"/>).</param>
public sealed class TrustWeightedHolderSelector(
    PeerId self, int replicas, Func<IReadOnlyList<ContactSnapshot>> contacts, TrustService trust, ShardPlacer placer, Func<PeerId, int> held)
    : IShardHolderSelector, IDisposable
{
    /// <summary>Most candidates returned: the placement library selects at most 64 at once.</summary>
    public const int MaxCandidates = 64;

    /// <inheritdoc/>
    public IReadOnlyList<HolderCandidate> Candidates(ShardId id)
    {
        var holders = new List<HolderCandidate>();
        var candidates = new List<PlacementCandidate>();
        var options = trust.Options;
        var performance = trust.Observations.Performance;
        var now = trust.Now;
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
                performance.SuccessRate(contact.Id),
                performance.Uptime(contact.Id),
                trust.Capacity.FreeBytesFor(contact.Id, now, options.CapacityReferenceBytes))
            {
                Held = held(contact.Id),
                Caught = trust.Observations.Caught(contact.Id, now),
            });
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
