// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using System.Buffers.Binary;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// CPU time of the process (all threads, user + kernel) per shard store operation, best of several
/// rounds. On a host whose cores are shared with other jobs, wall-clock rates mostly measure the
/// wait for a core; CPU time per operation is what the store itself costs. It leaves out disk
/// writeback done later by kernel threads. Uses only the public API, so the same probe runs
/// against an older build of the store, except the 1,000,000-shard rows, which also read the
/// store's internal WAL frame count. Run with <c>storage-cpu [row]</c>.
/// </summary>
public static class ShardStoreCpuTimeProbe
{
    private const int Rounds = 5;

    /// <summary>Runs every row, or only the rows whose name contains <paramref name="filter"/>.</summary>
    public static void Run(TextWriter output, string? filter = null)
    {
        bool Selected(string name) => filter is null || name.Contains(filter, StringComparison.OrdinalIgnoreCase);
        var directory = BenchStore.NewDirectory("cpu");
        try
        {
            var store = BenchStore.Open(directory);
            try
            {
                var counter = 0L;
                // Puts first: the read rows then run against a store that already holds these shards.
                if (Selected("put 64 B"))
                {
                    Report(output, "put 64 B, 10,000 in flight", 64, PutRound(output, store, 64, 10_000, ref counter, warmup: 10));
                    var batchedDirectory = BenchStore.NewDirectory("cpu-batch");
                    var batched = BenchStore.Open(batchedDirectory, writeBatchSize: 8192);
                    try
                    {
                        var batchedCounter = 0L;
                        Report(output, "put 64 B, 10,000 in flight, WriteBatchSize 8192", 64, PutRound(output, batched, 64, 10_000, ref batchedCounter, warmup: 10));
                    }
                    finally
                    {
                        batched.DisposeAsync().AsTask().GetAwaiter().GetResult();
                        BenchStore.Delete(batchedDirectory);
                    }
                }

                if (Selected("put 64 B at 1,000,000"))
                {
                    Scaling(output);
                }

                if (Selected("merges as the index grows"))
                {
                    MergeGrowth(output);
                }

                if (Selected("put 1 KiB"))
                {
                    Report(output, "put 1 KiB, 10,000 in flight", 1024, PutRound(store, 1024, 10_000, ref counter, warmup: 10));
                }

                if (Selected("put 16 KiB"))
                {
                    // The data plane's puts: the same shards without an owner, then each held for one of 100
                    // owners (a hold row per put, and the owner's limit checked).
                    Report(output, "put 16 KiB, 1,000 in flight", 16 * 1024, PutRound(store, 16 * 1024, 1000, ref counter, warmup: 3));
                    var owners = Enumerable.Range(0, 100).Select(i => Overlay.Crypto.PeerId.Random(new Random(i))).ToArray();
                    var owned = (int i) => new ShardPutOptions(Owner: owners[i % owners.Length], OwnerCapacityBytes: long.MaxValue / 2);
                    Report(output, "put 16 KiB for 100 owners, 1,000 in flight", 16 * 1024, PutRound(null, store, 16 * 1024, 1000, ref counter, warmup: 3, options: owned));
                }

                if (Selected("put 1 MiB"))
                {
                    Report(output, "put 1 MiB, 16 in flight", 1024 * 1024, PutRound(store, 1024 * 1024, 16, ref counter, warmup: 1));
                }

                if (Selected("read 1 KiB"))
                {
                    var ids = Fill(store, 1024, 100_000, ref counter);
                    Report(output, "read 1 KiB, verified, 1 thread, 100,000 shards", 1024, ReadRound(store, ids, 1024, 100_000, threads: 1));
                    Report(output, "read 1 KiB, verified, 2 threads, 100,000 shards", 1024, ReadRound(store, ids, 1024, 100_000, threads: 2));
                }

                if (Selected("read 1 KiB merged"))
                {
                    // The same reads of shards merged into the id index, as most of a store past the
                    // merge threshold is: the id index's descent, then the payload's.
                    var mergedDirectory = BenchStore.NewDirectory("cpu-merged");
                    var merged = BenchStore.Open(mergedDirectory, mergeThreshold: 4096);
                    try
                    {
                        var mergedCounter = 0L;
                        var ids = Fill(merged, 1024, 100_000, ref mergedCounter);
                        Report(output, "read 1 KiB merged, verified, 1 thread, 100,000 shards", 1024, ReadRound(merged, ids, 1024, 100_000, threads: 1));
                        Report(output, "read 1 KiB merged, verified, 2 threads, 100,000 shards", 1024, ReadRound(merged, ids, 1024, 100_000, threads: 2));
                    }
                    finally
                    {
                        merged.DisposeAsync().AsTask().GetAwaiter().GetResult();
                        BenchStore.Delete(mergedDirectory);
                    }
                }

                if (Selected("list 200,000"))
                {
                    // A store whose shards are all still in the log: listing reads the log through its
                    // in-memory index, sorted once, not by scanning the log for every page.
                    Fill(store, 64, 200_000, ref counter);
                    var listed = 0L;
                    var (cpu, wall) = CpuTimer.Measure(() =>
                    {
                        listed = 0;
                        var items = store.EnumerateAsync().GetAsyncEnumerator();
                        try
                        {
                            while (items.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                            {
                                listed++;
                            }
                        }
                        finally
                        {
                            items.DisposeAsync().AsTask().GetAwaiter().GetResult();
                        }
                    });
                    Report(output, $"list 200,000 logged shards ({listed:N0} listed), per shard", 64, (cpu / listed, wall / listed));
                }

                if (Selected("read 1 MiB"))
                {
                    Report(output, "read 1 MiB, verified", 1024 * 1024, ReadRound(store, Fill(store, 1024 * 1024, 32, ref counter), 1024 * 1024, 64, threads: 1));
                }
            }
            finally
            {
                store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            BenchStore.Delete(directory);
        }
    }

    /// <summary>
    /// Small puts into a store that already holds 1,000,000 shards, with the default batch size and
    /// with 8192, and the WAL frames (4 KiB pages) each put cost: the id index is then far larger
    /// than one batch, so nearly every put lands on a leaf page no other put of its batch touches.
    /// </summary>
    private static void Scaling(TextWriter output)
    {
        var directory = BenchStore.NewDirectory("cpu-scale");
        try
        {
            var counter = 0L;
            var store = BenchStore.Open(directory, writeBatchSize: 8192);
            var records = new byte[64 * 10_000];
            new Random(10).NextBytes(records);
            var pending = new ValueTask<PutResult>[10_000];
            while (counter < 1_000_000)
            {
                BenchStore.PutStamped(store, records, 64, pending, pending.Length, ref counter);
            }

            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            foreach (var batch in (ReadOnlySpan<int>)[8192, 1024])
            {
                store = BenchStore.Open(directory, writeBatchSize: batch);
                var framesBefore = store.WalFramesWritten;
                // Twenty rounds (200,000 puts): enough for deferred work such as merges to show in the mean.
                const int Warmup = 3, ScalingRounds = 20;
                var totalCpu = 0.0;
                var best = PutRound(output, store, 64, 10_000, ref counter, Warmup, ScalingRounds, rounds => totalCpu = rounds);
                var frames = (store.WalFramesWritten - framesBefore) / (double)((Warmup + ScalingRounds) * 10_000);
                Report(output, $"put 64 B at {store.GetUsage().ShardCount:N0} shards, 10,000 in flight, WriteBatchSize {batch}, {frames:F2} WAL frames per put", 64, best);
                // Each merge holds up puts for its whole transaction.
                output.WriteLine($"  {store.Merges} merges of the log of recent shards, the longest {store.LongestMerge.TotalMilliseconds:F0} ms");
                // Closing finishes any merge in progress when asked to: with it, every put's share of merging is counted.
                var puts = (Warmup + ScalingRounds) * 10_000;
                var (closeCpu, _) = CpuTimer.Measure(() => store.DisposeAsync().AsTask().GetAwaiter().GetResult());
                output.WriteLine($"  all {puts:N0} puts and closing: {(totalCpu + closeCpu) / puts:F2} µs CPU/op");
                store = null!;
            }
        }
        finally
        {
            BenchStore.Delete(directory);
        }
    }

    /// <summary>
    /// Small puts with a merge threshold of 262,144, up to 2,000,000 shards: CPU and wall per put over
    /// each 250,000, merges included: what puts cost when merges come often, as the id index they
    /// insert into grows.
    /// </summary>
    private static void MergeGrowth(TextWriter output)
    {
        const int Window = 250_000, Total = 2_000_000, InFlight = 10_000;
        var directory = BenchStore.NewDirectory("cpu-merges");
        try
        {
            var store = BenchStore.Open(directory, mergeThreshold: 262_144);
            var records = new byte[64 * InFlight];
            new Random(11).NextBytes(records);
            var pending = new ValueTask<PutResult>[InFlight];
            var counter = 0L;
            for (var window = 0; window < Total / Window; window++)
            {
                var mergesBefore = store.Merges;
                var (cpu, wall) = CpuTimer.Measure(() =>
                {
                    for (var round = 0; round < Window / InFlight; round++)
                    {
                        BenchStore.PutStamped(store, records, 64, pending, pending.Length, ref counter);
                    }
                });
                output.WriteLine($"merges as the index grows, puts {window * Window:N0}–{(window + 1) * Window:N0}: {cpu / Window:F2} µs CPU/op; wall {wall / Window:F2} µs/op; {store.Merges - mergesBefore} merge transactions");
            }

            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            BenchStore.Delete(directory);
        }
    }

    /// <summary>Stamps each 64-byte record with the next counter value, puts them all at once, then awaits every put.</summary>
    private static void Report(TextWriter output, string name, int size, (double CpuMicroseconds, double WallMicroseconds) best)
    {
        var perCpuSecond = 1e6 / best.CpuMicroseconds;
        var rate = size >= 1024 * 1024
            ? $"{perCpuSecond * size / 1e6:F0} MB per CPU-second"
            : $"{perCpuSecond:N0} per CPU-second";
        output.WriteLine($"{name}: {best.CpuMicroseconds:F2} µs CPU/op ({rate}); wall {best.WallMicroseconds:F2} µs/op");
    }

    private static (double, double) PutRound(SqliteShardStore store, int size, int count, ref long counter, int warmup) =>
        PutRound(null, store, size, count, ref counter, warmup);

    /// <summary>
    /// Best round, and (written to <paramref name="output"/> when given) the mean over all measured
    /// rounds: work the store defers to some rounds, such as merging its log of recent puts into
    /// the id index, only shows in the mean.
    /// </summary>
    private static (double, double) PutRound(TextWriter? output, SqliteShardStore store, int size, int count, ref long counter, int warmup, int rounds = Rounds, Action<double>? allRoundsCpu = null, Func<int, ShardPutOptions>? options = null)
    {
        double allCpu = 0;
        double totalCpu = 0, totalWall = 0;
        var records = new byte[size * count];
        new Random(7).NextBytes(records);
        var pending = new ValueTask<PutResult>[count];
        var best = (Cpu: double.MaxValue, Wall: double.MaxValue);
        for (var round = 0; round < warmup + rounds; round++)
        {
            for (var offset = 0; offset < records.Length; offset += size)
            {
                BinaryPrimitives.WriteInt64LittleEndian(records.AsSpan(offset), ++counter);
            }

            var (cpu, wall) = CpuTimer.Measure(() =>
            {
                for (var i = 0; i < count; i++)
                {
                    pending[i] = store.PutAsync(records.AsMemory(i * size, size), options?.Invoke(i) ?? default);
                }

                for (var i = 0; i < count; i++)
                {
                    pending[i].AsTask().GetAwaiter().GetResult();
                }
            });
            allCpu += cpu;
            if (round >= warmup)
            {
                best = (Math.Min(best.Cpu, cpu / count), Math.Min(best.Wall, wall / count));
                totalCpu += cpu;
                totalWall += wall;
            }
        }

        allRoundsCpu?.Invoke(allCpu);
        output?.WriteLine($"  mean of {rounds} rounds ({rounds * count:N0} puts): {totalCpu / (rounds * count):F2} µs CPU/op; wall {totalWall / (rounds * count):F2} µs/op");
        return best;
    }

    private static ShardId[] Fill(SqliteShardStore store, int size, int shardCount, ref long counter)
    {
        var data = new byte[size];
        var ids = new ShardId[shardCount];
        new Random(8).NextBytes(data);
        var pending = new ValueTask<PutResult>[Math.Min(shardCount, 1000)];
        for (var start = 0; start < shardCount; start += pending.Length)
        {
            var n = Math.Min(pending.Length, shardCount - start);
            for (var i = 0; i < n; i++)
            {
                var copy = (byte[])data.Clone();
                BinaryPrimitives.WriteInt64LittleEndian(copy, ++counter);
                pending[i] = store.PutAsync(copy);
            }

            for (var i = 0; i < n; i++)
            {
                ids[start + i] = pending[i].AsTask().GetAwaiter().GetResult().Id;
            }
        }

        return ids;
    }

    /// <summary>
    /// <paramref name="readsPerRound"/> random point reads split over <paramref name="threads"/> dedicated
    /// threads started together; the per-operation figures divide by the total number of reads.
    /// </summary>
    private static (double, double) ReadRound(SqliteShardStore store, ShardId[] ids, int size, int readsPerRound, int threads)
    {
        var random = new Random(9);
        var orders = new int[threads][];
        var destinations = new byte[threads][];
        for (var t = 0; t < threads; t++)
        {
            orders[t] = new int[readsPerRound / threads];
            destinations[t] = new byte[size];
            for (var i = 0; i < orders[t].Length; i++)
            {
                orders[t][i] = random.Next(ids.Length);
            }
        }

        void ReadAll(int thread)
        {
            var destination = destinations[thread];
            foreach (var index in orders[thread])
            {
                if (store.Read(ids[index], destination).Status != ShardReadStatus.Found)
                {
                    throw new InvalidOperationException("A stored shard did not read back.");
                }
            }
        }

        var best = (Cpu: double.MaxValue, Wall: double.MaxValue);
        for (var round = 0; round < 1 + Rounds; round++)
        {
            var (cpu, wall) = CpuTimer.Measure(() =>
            {
                if (threads == 1)
                {
                    ReadAll(0);
                    return;
                }

                var workers = new Thread[threads];
                for (var t = 0; t < threads; t++)
                {
                    var thread = t;
                    workers[t] = new Thread(() => ReadAll(thread));
                    workers[t].Start();
                }

                foreach (var worker in workers)
                {
                    worker.Join();
                }
            });
            if (round >= 1)
            {
                var reads = orders[0].Length * threads;
                best = (Math.Min(best.Cpu, cpu / reads), Math.Min(best.Wall, wall / reads));
            }
        }

        return best;
    }
}
