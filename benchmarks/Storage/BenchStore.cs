// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using System.Buffers.Binary;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>Shared set-up for the shard store benchmarks: a store in a temporary directory.</summary>
internal static class BenchStore
{
    public static string NewDirectory(string name) =>
        Path.Combine(Path.GetTempPath(), $"overlay-bench-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    /// <summary>
    /// Default options except the quota and, when given, the write batch size (with a queue four
    /// batches deep) and the merge threshold.
    /// </summary>
    public static SqliteShardStore Open(string directory, int maxShardBytes = 1024 * 1024, int? writeBatchSize = null, int? mergeThreshold = null)
    {
        var options = new StorageOptions
        {
            Directory = directory,
            CapacityBytes = long.MaxValue / 2,
            MaxShardBytes = maxShardBytes,
        };
        if (mergeThreshold is { } threshold)
        {
            options.MergeThreshold = threshold;
        }

        if (writeBatchSize is { } batch)
        {
            options.WriteBatchSize = batch;
            options.WriteQueueCapacity = Math.Max(options.WriteQueueCapacity, 4 * batch);
        }

        return SqliteShardStore.Open(options);
    }

    public static void Delete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>
    /// Stamps the records (see <see cref="Stamp"/>), starts puts of the first <paramref name="count"/>
    /// of them, then waits for every one: all in flight at once, so the writer can batch them.
    /// </summary>
    public static void PutStamped(SqliteShardStore store, byte[] records, int recordSize, ValueTask<PutResult>[] pending, int count, ref long counter)
    {
        Stamp(records, recordSize, ref counter);
        for (var i = 0; i < count; i++)
        {
            pending[i] = store.PutAsync(records.AsMemory(i * recordSize, recordSize));
        }

        for (var i = 0; i < count; i++)
        {
            pending[i].AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Makes every record of <paramref name="records"/> unique by stamping a fresh counter into its first 8 bytes.</summary>
    public static void Stamp(byte[] records, int recordSize, ref long counter)
    {
        for (var offset = 0; offset + recordSize <= records.Length; offset += recordSize)
        {
            BinaryPrimitives.WriteInt64LittleEndian(records.AsSpan(offset), ++counter);
        }
    }
}
