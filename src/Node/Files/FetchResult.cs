using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>A finished fetch: the content, its manifest, where it was written and how many bytes.</summary>
public sealed record FetchResult(ShardId ContentId, FileManifest Manifest, string Path, long Bytes);
