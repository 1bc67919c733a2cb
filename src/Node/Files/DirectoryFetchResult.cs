using Overlay.Storage;

namespace Overlay.Node.Files;

/// <summary>A fetched directory: the content, its manifest, the folder it was written into and the bytes of its files.</summary>
public sealed record DirectoryFetchResult(ShardId ContentId, DirectoryManifest Manifest, string Path, long Bytes);
