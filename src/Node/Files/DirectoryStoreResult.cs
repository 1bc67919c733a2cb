using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>A stored directory: its content id, its manifest, the entries skipped (symbolic links), and how many distinct holders keep its files' shards.</summary>
public sealed record DirectoryStoreResult(ShardId ContentId, DirectoryManifest Manifest, int Skipped, int DistinctHolders);
