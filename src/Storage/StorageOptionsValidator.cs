namespace Overlay.Storage;

/// <summary>
/// Checks <see cref="StorageOptions"/> before a store is opened. Each failure is one sentence naming
/// the key, the value and what is allowed, so the host can stop with a clear message.
/// </summary>
public static class StorageOptionsValidator
{
    /// <summary>The configuration section the options bind to, used in failure messages.</summary>
    public const string Section = "Storage";

    /// <summary>Returns every failure; an empty list means the options are valid.</summary>
    public static IReadOnlyList<string> Validate(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            failures.Add($"{Section}:Directory is empty; set it to the directory that holds shards.db.");
        }
        else if (options.Directory.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add($"{Section}:Directory '{options.Directory}' contains characters not allowed in a path.");
        }

        Range(failures, "CapacityBytes", options.CapacityBytes, 1, long.MaxValue);
        Range(failures, "MaxShardBytes", options.MaxShardBytes, StorageOptions.MinShardBytesLimit, StorageOptions.MaxShardBytesLimit);
        if (!Enum.IsDefined(options.Durability))
        {
            failures.Add($"{Section}:Durability is {(int)options.Durability}; allowed: Normal or Full.");
        }

        Range(failures, "WriteBatchSize", options.WriteBatchSize, 1, 65536);
        Range(failures, "MergeThreshold", options.MergeThreshold, 1, 1 << 24);
        Range(failures, "WriteQueueCapacity", options.WriteQueueCapacity, 1, 1 << 20);
        Range(failures, "ReaderCount", options.ReaderCount, 1, 256);
        Range(failures, "MmapBytes", options.MmapBytes, 0, 64L << 30);
        Range(failures, "CacheKibibytes", options.CacheKibibytes, 64, 4 << 20);
        Range(failures, "CollectBatchSize", options.CollectBatchSize, 1, 65536);
        Range(failures, "BookkeepingQueueCapacity", options.BookkeepingQueueCapacity, 0, 1 << 24);
        Range(failures, "MaxPageCount", options.MaxPageCount, 0, long.MaxValue);
        if (options.CollectInterval < TimeSpan.FromSeconds(1) || options.CollectInterval > TimeSpan.FromDays(1))
        {
            failures.Add($"{Section}:CollectInterval is {options.CollectInterval}; allowed: 00:00:01 to 1.00:00:00.");
        }

        return failures;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with every failure when the options are invalid.</summary>
    public static void ThrowIfInvalid(StorageOptions options)
    {
        var failures = Validate(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }
    }

    private static void Range(List<string> failures, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{Section}:{key} is {value}; allowed: {min} to {max}.");
        }
    }
}
