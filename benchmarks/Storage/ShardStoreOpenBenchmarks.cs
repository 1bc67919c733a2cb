// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using BenchmarkDotNet.Attributes;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// Opening (and closing) a store that holds 1,000,000 small shards. The store is built once in set-up
/// (and kept under the temp directory between runs, since building it takes a while); set-up also
/// prints the disk bytes per shard beyond the payload and the managed memory an open store holds.
/// </summary>
[MemoryDiagnoser]
public class ShardStoreOpenBenchmarks
{
    private const int ShardCount = 1_000_000;
    private const int ShardSize = 64;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "overlay-bench-open-1m");

    [GlobalSetup]
    public void Setup()
    {
        var store = BenchStore.Open(_directory);
        try
        {
            var have = store.GetUsage().ShardCount;
            var records = new byte[ShardSize * 10_000];
            new Random(4).NextBytes(records);
            long counter = have;
            var pending = new ValueTask<PutResult>[10_000];
            while (have < ShardCount)
            {
                BenchStore.Stamp(records, ShardSize, ref counter);
                var n = (int)Math.Min(pending.Length, ShardCount - have);
                for (var i = 0; i < n; i++)
                {
                    pending[i] = store.PutAsync(records.AsMemory(i * ShardSize, ShardSize));
                }

                for (var i = 0; i < n; i++)
                {
                    pending[i].AsTask().GetAwaiter().GetResult();
                }

                have += n;
            }
        }
        finally
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var open = BenchStore.Open(_directory);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var usage = open.GetUsage();
        Console.WriteLine($"// Shard store: {usage.ShardCount} shards, {usage.UsedBytes} payload bytes, {usage.FileBytes} file bytes, " +
            $"{(usage.FileBytes - usage.UsedBytes) / (double)usage.ShardCount:F1} disk bytes per shard beyond the payload, " +
            $"{after - before} managed bytes held by the open store ({(after - before) / (double)usage.ShardCount:F4} per shard).");
        open.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public long OpenAndClose1MShards()
    {
        var store = BenchStore.Open(_directory);
        var count = store.GetUsage().ShardCount;
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return count;
    }
}
