using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// Chooses the peers a shard is placed on, and asked for it when nothing better is known. The seam
/// where trust-weighted placement plugs in; the node's default is <see cref="RoutingTableHolderSelector"/>.
/// </summary>
public interface IShardHolderSelector
{
    /// <summary>Candidates for shard <paramref name="id"/>, best first, never this node; more than needed so refusals can be passed over.</summary>
    IReadOnlyList<HolderCandidate> Candidates(ShardId id);
}
