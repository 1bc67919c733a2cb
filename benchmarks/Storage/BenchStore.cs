using System.Buffers.Binary;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>Shared set-up for the shard store benchmarks: a store in a temporary directory.</summary>
internal static class BenchStore
{
    public static string NewDirectory(string name) =>
        Path.Combine(Path.GetTempPath(), $"overlay-bench-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public static SqliteShardStore Open(string directory, int maxShardBytes = 1024 * 1024) =>
        SqliteShardStore.Open(new StorageOptions
        {
            Directory = directory,
            CapacityBytes = long.MaxValue / 2,
            MaxShardBytes = maxShardBytes,
            WriteBatchSize = int.Parse(Environment.GetEnvironmentVariable("XB") ?? "1024"),
            WriteQueueCapacity = int.Parse(Environment.GetEnvironmentVariable("XQ") ?? "4096"),
        });

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

    /// <summary>Makes every record of <paramref name="records"/> unique by stamping a fresh counter into its first 8 bytes.</summary>
    public static void Stamp(byte[] records, int recordSize, ref long counter)
    {
        for (var offset = 0; offset + recordSize <= records.Length; offset += recordSize)
        {
            BinaryPrimitives.WriteInt64LittleEndian(records.AsSpan(offset), ++counter);
        }
    }
}
