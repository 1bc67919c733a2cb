using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>Places one shard of a file on holders, preferring peers not in <c>avoid</c> (those already holding a shard of the same stripe).</summary>
public interface IShardPlacer
{
    /// <summary>The peer the shard would go to first, given <paramref name="avoid"/>; null when no peer is known.</summary>
    PeerId? Preferred(ShardId id, IReadOnlySet<PeerId> avoid);

    /// <summary>
    /// Places the shard; returns the peers that keep it now (empty when every peer refused). <paramref name="data"/> is
    /// valid only until the returned task ends (a storer reuses the buffer for its next stripe): copy what is kept.
    /// </summary>
    /// <exception cref="Overlay.Node.Shards.ShardBookException">The owner's book cannot be written.</exception>
    Task<IReadOnlyList<PeerId>> PlaceAsync(ShardId id, ReadOnlyMemory<byte> data, IReadOnlySet<PeerId> avoid, int holders, CancellationToken cancellationToken);
}
