// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// Point reads with hash verification: small shards on one and two threads, 1 MiB shards, and the
/// same without verification to show what the hash costs. <see cref="Merged"/>: the shards were merged
/// into the id index while they were stored (as most of a store past the merge threshold is), instead
/// of all still being in the log.
/// </summary>
[MemoryDiagnoser]
public class ShardStoreReadBenchmarks
{
    private const int SmallShards = 100_000;
    private const int SmallSize = 1024;
    private const int LargeShards = 32;
    private const int LargeSize = 1024 * 1024;
    private const int ReadsPerInvoke = 20_000;

    private string _directory = "";
    private SqliteShardStore _store = null!;
    private ShardId[] _small = [];
    private ShardId[] _large = [];
    private readonly byte[][] _buffers = [new byte[LargeSize], new byte[LargeSize]];

    [Params(false, true)]
    public bool Merged { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = BenchStore.NewDirectory("read");
        _store = BenchStore.Open(_directory, mergeThreshold: Merged ? 4096 : null);
        var random = new Random(3);
        _small = Fill(random, SmallShards, SmallSize);
        _large = Fill(random, LargeShards, LargeSize);
        // Read order is shuffled so the page cache is exercised as by real lookups, not in file order.
        random.Shuffle(_small);
    }

    private ShardId[] Fill(Random random, int count, int size)
    {
        var ids = new ShardId[count];
        var pending = new ValueTask<PutResult>[Math.Min(count, 4096)];
        for (var start = 0; start < count; start += pending.Length)
        {
            var n = Math.Min(pending.Length, count - start);
            for (var i = 0; i < n; i++)
            {
                var data = new byte[size];
                random.NextBytes(data);
                pending[i] = _store.PutAsync(data);
            }

            for (var i = 0; i < n; i++)
            {
                ids[start + i] = pending[i].AsTask().GetAwaiter().GetResult().Id;
            }
        }

        return ids;
    }

    private readonly long[] _latencies = new long[1 << 22];
    private int _latencyCount;

    /// <summary>Single-thread small reads, timing each one, so the cleanup can print percentiles BenchmarkDotNet does not give per operation.</summary>
    [Benchmark(OperationsPerInvoke = ReadsPerInvoke)]
    public long ReadSmall1KiB_Latency()
    {
        var buffer = _buffers[0];
        long bytes = 0;
        for (var i = 0; i < ReadsPerInvoke; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var result = _store.Read(_small[i % SmallShards], buffer);
            var elapsed = Stopwatch.GetTimestamp() - started;
            if (_latencyCount < _latencies.Length)
            {
                _latencies[_latencyCount++] = elapsed;
            }

            bytes += result.Length;
        }

        return bytes;
    }

    [GlobalCleanup(Target = nameof(ReadSmall1KiB_Latency))]
    public void CleanupLatency()
    {
        var measured = _latencies[.._latencyCount];
        Array.Sort(measured);
        double Micros(double q) => measured[(int)Math.Min(measured.Length - 1, q * measured.Length)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine($"// Shard store read latency over {measured.Length} reads: p50 {Micros(0.50):F1} us, p90 {Micros(0.90):F1} us, p99 {Micros(0.99):F1} us, p99.9 {Micros(0.999):F1} us");
        Cleanup();
    }

    [GlobalCleanup(Targets = [nameof(ReadSmall1KiB), nameof(ReadSmall1KiB_TwoThreads), nameof(ReadSmall1KiB_Unverified), nameof(Read1MiB), nameof(Read1MiB_Unverified)])]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        BenchStore.Delete(_directory);
    }

    private long ReadSmall(int thread, int count)
    {
        var buffer = _buffers[thread];
        long bytes = 0;
        for (var i = 0; i < count; i++)
        {
            var result = _store.Read(_small[((thread * 7919) + i) % SmallShards], buffer);
            if (result.Status != ShardReadStatus.Found)
            {
                throw new InvalidOperationException($"Read returned {result.Status}.");
            }

            bytes += result.Length;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = ReadsPerInvoke)]
    public long ReadSmall1KiB() => ReadSmall(0, ReadsPerInvoke);

    /// <summary>
    /// Two dedicated threads, started together, each doing half the reads. (Parallel.Invoke may run
    /// both halves on the calling thread when no pool thread picks the second one up in time.)
    /// </summary>
    [Benchmark(OperationsPerInvoke = ReadsPerInvoke)]
    public long ReadSmall1KiB_TwoThreads()
    {
        long second = 0;
        var other = new Thread(() => second = ReadSmall(1, ReadsPerInvoke / 2));
        other.Start();
        var first = ReadSmall(0, ReadsPerInvoke / 2);
        other.Join();
        return first + second;
    }

    [Benchmark(OperationsPerInvoke = ReadsPerInvoke)]
    public long ReadSmall1KiB_Unverified()
    {
        _store.SkipReadVerification = true;
        try
        {
            return ReadSmall(0, ReadsPerInvoke);
        }
        finally
        {
            _store.SkipReadVerification = false;
        }
    }

    private long ReadLarge()
    {
        long bytes = 0;
        foreach (var id in _large)
        {
            var result = _store.Read(id, _buffers[0]);
            if (result.Status != ShardReadStatus.Found)
            {
                throw new InvalidOperationException($"Read returned {result.Status}.");
            }

            bytes += result.Length;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = LargeShards)]
    public long Read1MiB() => ReadLarge();

    [Benchmark(OperationsPerInvoke = LargeShards)]
    public long Read1MiB_Unverified()
    {
        _store.SkipReadVerification = true;
        try
        {
            return ReadLarge();
        }
        finally
        {
            _store.SkipReadVerification = false;
        }
    }
}
