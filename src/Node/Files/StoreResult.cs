using Overlay.Crypto;
using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>A stored file: its content id (the manifest shard's id), the manifest, and the distinct holders that keep its shards.</summary>
public sealed record StoreResult(ShardId ContentId, FileManifest Manifest, IReadOnlyCollection<PeerId> Holders)
{
    /// <summary>How many distinct holders keep the file's shards.</summary>
    public int DistinctHolders => Holders.Count;
}
