// Puts are started first and awaited after, each ValueTask exactly once, so batches can form.
#pragma warning disable CA2012
using System.Buffers;
using BenchmarkDotNet.Attributes;
using Overlay.Storage;

namespace Overlay.Benchmarks.Storage;

/// <summary>
/// Batched puts: many puts in flight, one writer committing up to WriteBatchSize per transaction.
/// The "Unhashed" variants hand the store a precomputed id, to show what BLAKE3 costs.
/// <see cref="WriteBatchSize"/> 1024 is the default; 8192 (with a queue of 32768) lets the 10,000
/// small puts in flight share far fewer transactions. Every iteration starts with an empty store and
/// runs a fixed number of invocations (160,000 small puts or 256 large ones), so each one measures
/// the same store sizes, below the merge threshold: what merging costs past it is the storage-cpu
/// probe's "put 64 B at 1,000,000" row.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(16)]
public class ShardStorePutBenchmarks
{
    private const int SmallRecord = 64;
    private const int SmallPerInvoke = 10_000;
    private const int LargeRecord = 1024 * 1024;
    private const int LargePerInvoke = 16;

    private string _directory = "";
    private SqliteShardStore _store = null!;
    private readonly byte[] _small = new byte[SmallRecord * SmallPerInvoke];
    private readonly byte[] _large = new byte[LargeRecord * LargePerInvoke];
    private readonly ValueTask<PutResult>[] _pending = new ValueTask<PutResult>[SmallPerInvoke];
    private readonly ShardId[] _ids = new ShardId[SmallPerInvoke];
    private long _counter;

    [Params(1024, 8192)]
    public int WriteBatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        new Random(1).NextBytes(_small);
        new Random(2).NextBytes(_large);
    }

    [IterationSetup]
    public void OpenEmptyStore()
    {
        _directory = BenchStore.NewDirectory("put");
        _store = BenchStore.Open(_directory, writeBatchSize: WriteBatchSize);
    }

    [IterationCleanup]
    public void DeleteStore()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        BenchStore.Delete(_directory);
    }

    [Benchmark(OperationsPerInvoke = SmallPerInvoke)]
    public async Task PutSmall64B()
    {
        BenchStore.Stamp(_small, SmallRecord, ref _counter);
        for (var i = 0; i < SmallPerInvoke; i++)
        {
            _pending[i] = _store.PutAsync(_small.AsMemory(i * SmallRecord, SmallRecord));
        }

        for (var i = 0; i < SmallPerInvoke; i++)
        {
            await _pending[i];
        }
    }

    [Benchmark(OperationsPerInvoke = SmallPerInvoke)]
    public async Task PutSmall64B_Unhashed()
    {
        BenchStore.Stamp(_small, SmallRecord, ref _counter);
        for (var i = 0; i < SmallPerInvoke; i++)
        {
            // Distinct ids without hashing: the counter makes the first 8 bytes unique.
            _ids[i] = ShardId.FromBytes(_small.AsSpan(i * SmallRecord, ShardId.Size));
        }

        for (var i = 0; i < SmallPerInvoke; i++)
        {
            _pending[i] = _store.PutHashedAsync(_ids[i], new ReadOnlySequence<byte>(_small, i * SmallRecord, SmallRecord), default, default);
        }

        for (var i = 0; i < SmallPerInvoke; i++)
        {
            await _pending[i];
        }
    }

    [Benchmark(OperationsPerInvoke = LargePerInvoke)]
    public async Task Put1MiB()
    {
        BenchStore.Stamp(_large, LargeRecord, ref _counter);
        for (var i = 0; i < LargePerInvoke; i++)
        {
            _pending[i] = _store.PutAsync(_large.AsMemory(i * LargeRecord, LargeRecord));
        }

        for (var i = 0; i < LargePerInvoke; i++)
        {
            await _pending[i];
        }
    }

    [Benchmark(OperationsPerInvoke = LargePerInvoke)]
    public async Task Put1MiB_Unhashed()
    {
        BenchStore.Stamp(_large, LargeRecord, ref _counter);
        for (var i = 0; i < LargePerInvoke; i++)
        {
            var id = ShardId.FromBytes(_large.AsSpan(i * LargeRecord, ShardId.Size));
            _pending[i] = _store.PutHashedAsync(id, new ReadOnlySequence<byte>(_large, i * LargeRecord, LargeRecord), default, default);
        }

        for (var i = 0; i < LargePerInvoke; i++)
        {
            await _pending[i];
        }
    }
}
