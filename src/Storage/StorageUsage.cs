namespace Overlay.Storage;

/// <summary>Capacity accounting: committed payload bytes against the quota.</summary>
/// <param name="ShardCount">Shards stored.</param>
/// <param name="UsedBytes">Sum of stored shard sizes.</param>
/// <param name="CapacityBytes">The quota (<see cref="StorageOptions.CapacityBytes"/>).</param>
/// <param name="FileBytes">Size of the database file and its WAL on disk.</param>
public readonly record struct StorageUsage(long ShardCount, long UsedBytes, long CapacityBytes, long FileBytes)
{
    /// <summary>Bytes still accepted before puts are refused.</summary>
    public long FreeBytes => Math.Max(0, CapacityBytes - UsedBytes);
}
