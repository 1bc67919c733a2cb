namespace Overlay.Storage;

/// <summary>Per-put settings.</summary>
/// <param name="ExpiresAt">When the shard may be collected (null = never). Putting content that is already stored keeps the later expiry.</param>
/// <param name="Pinned">Pinned shards are never collected. Putting stored content with Pinned = true pins it.</param>
public readonly record struct ShardPutOptions(DateTimeOffset? ExpiresAt = null, bool Pinned = false);
