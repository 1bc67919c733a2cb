namespace Overlay.Node.Files;

/// <summary>One content id this node knows: its manifest, whether this node stored it, whether it is pinned, and since when.</summary>
public sealed record ContentEntry(string Id, FileManifest Manifest, bool StoredHere, bool Pinned, DateTimeOffset AddedAt);
