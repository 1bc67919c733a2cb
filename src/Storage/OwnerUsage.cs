namespace Overlay.Storage;

/// <summary>What one owner holds in a store: the shards kept for it, each charged like a shard of the store's quota.</summary>
/// <param name="ShardCount">Holds of this owner (one per shard it asked to keep).</param>
/// <param name="UsedBytes">Sum of the held shards' sizes (payload only).</param>
public readonly record struct OwnerUsage(long ShardCount, long UsedBytes)
{
    /// <summary>Bytes charged to the owner: payload plus <see cref="StorageUsage.ShardOverheadBytes"/> per held shard.</summary>
    public long ChargedBytes => StorageUsage.Charge(ShardCount, UsedBytes);
}
