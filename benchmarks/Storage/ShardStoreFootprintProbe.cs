using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// Disk bytes per stored shard, by shard size: a fresh store with default settings is filled, closed
/// (which checkpoints the WAL into the file) and its files measured, against what the quota charges
/// (<see cref="StorageUsage.ChargedBytes"/>). Run with <c>storage-footprint</c>.
/// </summary>
public static class ShardStoreFootprintProbe
{
    private const int InFlight = 500;

    public static void Run(TextWriter output)
    {
        foreach (var (size, count) in (ReadOnlySpan<(int, int)>)[(64, 100_000), (1024, 50_000), (4096, 20_000), (16 * 1024, 5_000), (64 * 1024, 1_500), (1024 * 1024, 100)])
        {
            var directory = BenchStore.NewDirectory("footprint");
            try
            {
                var store = BenchStore.Open(directory, maxShardBytes: Math.Max(1024 * 1024, size));
                var counter = 0L;
                var records = new byte[size * InFlight];
                new Random(size).NextBytes(records);
                var pending = new ValueTask<PutResult>[InFlight];
                for (var stored = 0; stored < count; stored += InFlight)
                {
                    BenchStore.PutStamped(store, records, size, pending, Math.Min(InFlight, count - stored), ref counter);
                }

                var usage = store.GetUsage();
                store.DisposeAsync().AsTask().GetAwaiter().GetResult();
                var fileBytes = 0L;
                foreach (var file in Directory.GetFiles(directory))
                {
                    fileBytes += new FileInfo(file).Length;
                }

                var perShard = fileBytes / (double)usage.ShardCount;
                output.WriteLine($"{size,8:N0} B shards, {usage.ShardCount:N0}: {perShard:N1} file bytes each, {perShard - size:N1} beyond the payload ({100.0 * (perShard - size) / size:N1} %); charged {usage.ChargedBytes / (double)usage.ShardCount:N0}; file / charged = {fileBytes / (double)usage.ChargedBytes:N3}");
            }
            finally
            {
                BenchStore.Delete(directory);
            }
        }
    }
}
