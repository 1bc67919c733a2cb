namespace Overlay.Node.Files;

/// <summary>What to store: an optional name and media type for the manifest, and the code and chunk size (null: the node's <c>Files</c> defaults).</summary>
public sealed record StoreRequest(string? Name = null, string? MediaType = null, int? DataShards = null, int? ParityShards = null, int? ChunkBytes = null);
