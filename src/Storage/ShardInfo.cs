namespace Overlay.Storage;

/// <summary>Metadata of one stored shard.</summary>
/// <param name="Id">The content hash.</param>
/// <param name="Size">Payload length in bytes.</param>
/// <param name="StoredAt">When the shard was first stored (the store's clock).</param>
/// <param name="ExpiresAt">When the collector may delete it, unless pinned; null = never.</param>
/// <param name="Pinned">Pinned shards are never collected.</param>
/// <param name="LastVerifiedAt">When its hash was last checked by a read or a scrub (recorded in the background, and by reads at most every 10 minutes per shard); null = only at put.</param>
public readonly record struct ShardInfo(ShardId Id, int Size, DateTimeOffset StoredAt, DateTimeOffset? ExpiresAt, bool Pinned, DateTimeOffset? LastVerifiedAt)
{
    /// <summary>Reads record a shard's verification time only when the recorded one is older than this (10 minutes).</summary>
    internal const long VerifiedRecordIntervalMilliseconds = 10 * 60 * 1000;
}
