// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using System.Buffers.Binary;
using System.Diagnostics;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// CPU time of the process (all threads, user + kernel) per shard store operation, best of several
/// rounds. On a host whose cores are shared with other jobs, wall-clock rates mostly measure the
/// wait for a core; CPU time per operation is what the store itself costs. It leaves out disk
/// writeback done later by kernel threads. Uses only the public API, so the same probe runs
/// against an older build of the store. Run with <c>storage-cpu</c>.
/// </summary>
public static class ShardStoreCpuTimeProbe
{
    private const int Rounds = 5;

    public static void Run(TextWriter output)
    {
        var directory = BenchStore.NewDirectory("cpu");
        try
        {
            var store = BenchStore.Open(directory);
            try
            {
                var counter = 0L;
                // Puts first: the read rows then run against a store that already holds these shards.
                Report(output, "put 64 B, 10,000 in flight", 64, PutRound(store, 64, 10_000, ref counter, warmup: 3));
                Report(output, "put 1 MiB, 16 in flight", 1024 * 1024, PutRound(store, 1024 * 1024, 16, ref counter, warmup: 1));
                Report(output, "read 1 KiB, verified, 1 thread, 100,000 shards", 1024, ReadRound(store, 1024, 100_000, 100_000, ref counter));
                Report(output, "read 1 MiB, verified", 1024 * 1024, ReadRound(store, 1024 * 1024, 32, 64, ref counter));
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

    private static void Report(TextWriter output, string name, int size, (double CpuMicroseconds, double WallMicroseconds) best)
    {
        var perCpuSecond = 1e6 / best.CpuMicroseconds;
        var rate = size >= 1024 * 1024
            ? $"{perCpuSecond * size / 1e6:F0} MB per CPU-second"
            : $"{perCpuSecond:N0} per CPU-second";
        output.WriteLine($"{name}: {best.CpuMicroseconds:F2} µs CPU/op ({rate}); wall {best.WallMicroseconds:F2} µs/op");
    }

    private static (double, double) PutRound(SqliteShardStore store, int size, int count, ref long counter, int warmup)
    {
        var records = new byte[size * count];
        new Random(7).NextBytes(records);
        var pending = new ValueTask<PutResult>[count];
        var best = (Cpu: double.MaxValue, Wall: double.MaxValue);
        for (var round = 0; round < warmup + Rounds; round++)
        {
            for (var offset = 0; offset < records.Length; offset += size)
            {
                BinaryPrimitives.WriteInt64LittleEndian(records.AsSpan(offset), ++counter);
            }

            var (cpu, wall) = Measure(() =>
            {
                for (var i = 0; i < count; i++)
                {
                    pending[i] = store.PutAsync(records.AsMemory(i * size, size));
                }

                for (var i = 0; i < count; i++)
                {
                    pending[i].AsTask().GetAwaiter().GetResult();
                }
            });
            if (round >= warmup)
            {
                best = (Math.Min(best.Cpu, cpu / count), Math.Min(best.Wall, wall / count));
            }
        }

        return best;
    }

    private static (double, double) ReadRound(SqliteShardStore store, int size, int shardCount, int readsPerRound, ref long counter)
    {
        var data = new byte[size];
        var ids = new ShardId[shardCount];
        var random = new Random(8);
        random.NextBytes(data);
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

        var order = new int[readsPerRound];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = random.Next(shardCount);
        }

        var destination = new byte[size];
        var best = (Cpu: double.MaxValue, Wall: double.MaxValue);
        for (var round = 0; round < 1 + Rounds; round++)
        {
            var (cpu, wall) = Measure(() =>
            {
                foreach (var index in order)
                {
                    if (store.Read(ids[index], destination).Status != ShardReadStatus.Found)
                    {
                        throw new InvalidOperationException("A stored shard did not read back.");
                    }
                }
            });
            if (round >= 1)
            {
                best = (Math.Min(best.Cpu, cpu / readsPerRound), Math.Min(best.Wall, wall / readsPerRound));
            }
        }

        return best;
    }

    private static (double CpuMicroseconds, double WallMicroseconds) Measure(Action action)
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        action();
        var wall = Stopwatch.GetElapsedTime(started);
        process.Refresh();
        return ((process.TotalProcessorTime - cpuBefore).TotalMicroseconds, wall.TotalMicroseconds);
    }
}
