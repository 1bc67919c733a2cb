using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>A stored file: its content id (the manifest shard's id), the manifest, and how many distinct holders keep its shards.</summary>
public sealed record StoreResult(ShardId ContentId, FileManifest Manifest, int DistinctHolders);
