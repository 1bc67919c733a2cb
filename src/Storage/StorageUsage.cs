namespace Overlay.Storage;

/// <summary>Capacity accounting: committed shards, charged against the quota by their size plus <see cref="ShardOverheadBytes"/> each.</summary>
/// <param name="ShardCount">Shards stored.</param>
/// <param name="UsedBytes">Sum of stored shard sizes (payload only).</param>
/// <param name="CapacityBytes">The quota (<see cref="StorageOptions.CapacityBytes"/>).</param>
/// <param name="FileBytes">Size of the database file and its WAL on disk; 0 for a store that keeps no files.</param>
public readonly record struct StorageUsage(long ShardCount, long UsedBytes, long CapacityBytes, long FileBytes)
{
    /// <summary>
    /// What the quota charges each shard beyond its payload: its metadata row, index entries and the
    /// page space its payload row leaves unused. Measured file bytes per shard beyond the payload are
    /// 74 for 64-byte shards, 410 for 1 KiB, 578 for 4 KiB and under 2,000 up to 1 MiB (4 KiB pages),
    /// so with this charge the file stays within 1.5 % of the quota at every size measured, and a
    /// flood of tiny shards uses up the quota instead of the disk.
    /// </summary>
    public const int ShardOverheadBytes = 512;

    /// <summary>Bytes charged against the quota: payload plus <see cref="ShardOverheadBytes"/> per shard.</summary>
    public long ChargedBytes => Charge(ShardCount, UsedBytes);

    /// <summary>Charged bytes still accepted before puts are refused.</summary>
    public long FreeBytes => Math.Max(0, CapacityBytes - ChargedBytes);

    /// <summary>The charge for <paramref name="shards"/> shards of <paramref name="bytes"/> payload bytes in all.</summary>
    internal static long Charge(long shards, long bytes) => bytes + (shards * ShardOverheadBytes);
}
