using Overlay.Crypto;
using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Places file shards through the node's <see cref="ShardOwner"/> (receipts kept in its book), asking the
/// selector's candidates with the peers already holding a shard of the stripe moved last: the shards of a
/// stripe land on distinct holders while the network has enough peers, so losing one peer costs a
/// stripe one shard.
/// </summary>
public sealed class OwnerShardPlacer(ShardOwner owner) : IShardPlacer
{
    /// <inheritdoc/>
    public PeerId? Preferred(ShardId id, IReadOnlySet<PeerId> avoid)
    {
        ArgumentNullException.ThrowIfNull(avoid);
        var candidates = owner.Candidates(id);
        foreach (var c in candidates)
        {
            if (!avoid.Contains(c.Peer))
            {
                return c.Peer;
            }
        }

        return candidates.Count > 0 ? candidates[0].Peer : null;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<PeerId>> PlaceAsync(ShardId id, ReadOnlyMemory<byte> data, IReadOnlySet<PeerId> avoid, int holders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(avoid);
        var candidates = owner.Candidates(id);
        var ordered = candidates.Where(c => !avoid.Contains(c.Peer)).Concat(candidates.Where(c => avoid.Contains(c.Peer)));
        var outcome = await owner.PutAsync(id, data, ordered, holders, cancellationToken);
        return [.. outcome.Holders.Select(h => h.Peer)];
    }
}
