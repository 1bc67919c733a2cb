using Overlay.Storage;

namespace Overlay.Node.Shards;

/// <summary>
/// The DHT's provider records for shards (docs/PROTOCOL.md, "Provider records"): holders announce the
/// shards they keep, anyone finds a shard's holders without asking its owner. The node's is backed by
/// its DHT participant; tests may pass none.
/// </summary>
public interface IShardProviders
{
    /// <summary>
    /// Announces this node as a holder of every shard in <paramref name="ids"/> (in signed batches, docs/PROTOCOL.md,
    /// "Batched announcements"); returns how many batch STOREs DHT peers accepted.
    /// </summary>
    Task<int> AnnounceAsync(IReadOnlyCollection<ShardId> ids, CancellationToken cancellationToken);

    /// <summary>The holders the DHT names for <paramref name="id"/>, with addresses to reach them, never this node.</summary>
    Task<IReadOnlyList<HolderCandidate>> FindAsync(ShardId id, CancellationToken cancellationToken);
}
