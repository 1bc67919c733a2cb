using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Where the file layer gets one shard's bytes. The one place a fetch asks the network, so finding
/// holders (the DHT's provider records, this node's receipts, the nodes closest to the id) and ranking
/// them (by measured round trip) can change without touching the file layer.
/// </summary>
public interface IShardSource
{
    /// <summary>The shard's bytes. They are checked against the id by the caller as well.</summary>
    /// <exception cref="Overlay.Node.Shards.ShardExchangeException">No holder gave it.</exception>
    Task<byte[]> FetchAsync(ShardId id, CancellationToken cancellationToken);

    /// <summary>The holders known to keep the shard, nearest first, without fetching it.</summary>
    /// <exception cref="Overlay.Node.Shards.ShardBookException">This node's book cannot be read.</exception>
    Task<ShardLocation> LocateAsync(ShardId id, CancellationToken cancellationToken);

    /// <summary>The shard's bytes, asking <paramref name="location"/>'s holders in their order before anyone else.</summary>
    /// <exception cref="Overlay.Node.Shards.ShardExchangeException">No holder gave it.</exception>
    Task<byte[]> FetchAsync(ShardLocation location, CancellationToken cancellationToken);
}
