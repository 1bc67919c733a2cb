using Overlay.Node.Shards;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>Fetches shards through the node's <see cref="ShardOwner"/>: its own store, its receipts' holders, then the nodes closest to the id.</summary>
public sealed class OwnerShardSource(ShardOwner owner) : IShardSource
{
    /// <inheritdoc/>
    public async Task<byte[]> FetchAsync(ShardId id, CancellationToken cancellationToken) =>
        (await owner.GetAsync(id, cancellationToken)).Data;
}
