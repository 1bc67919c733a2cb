using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>
/// Where the file layer gets one shard's bytes. The one place a fetch asks the network, so finding
/// holders (today: this node's receipts, then the nodes closest to the id) can change without
/// touching the file layer.
/// </summary>
public interface IShardSource
{
    /// <summary>The shard's bytes. They are checked against the id by the caller as well.</summary>
    /// <exception cref="Overlay.Node.Shards.ShardExchangeException">No holder gave it.</exception>
    Task<byte[]> FetchAsync(ShardId id, CancellationToken cancellationToken);
}
