using Overlay.Erasure;
using Overlay.Erasure.Kernels;

namespace Overlay.Benchmarks.Erasure;

/// <summary>
/// One stripe of a k + m code with random data shards, laid out in one buffer with
/// <c>gap</c> bytes between shards, and the two operations the targets name: encoding the parity,
/// and rebuilding lost data shards from the k shards that remain.
/// </summary>
internal sealed class ErasureWorkload
{
    private readonly Memory<byte>[] _shards;
    private readonly bool[] _present;
    private readonly byte[] _expected;

    public ErasureWorkload(GfKernel kernel, int dataShards, int parityShards, int shardBytes, int gap, int lostDataShards)
    {
        Codec = new ReedSolomonCodec(dataShards, parityShards, ReedSolomonCodec.DefaultDecodeCacheBytes, kernel);
        var stride = shardBytes + gap;
        var buffer = GC.AllocateArray<byte>((dataShards + parityShards) * stride, pinned: true);
        _shards = new Memory<byte>[dataShards + parityShards];
        _expected = new byte[dataShards * shardBytes];
        new Random(42).NextBytes(_expected);
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = buffer.AsMemory(i * stride, shardBytes);
            if (i < dataShards)
            {
                _expected.AsSpan(i * shardBytes, shardBytes).CopyTo(_shards[i].Span);
            }
        }

        DataBytes = (long)dataShards * shardBytes;
        Codec.Encode(_shards);
        _present = new bool[dataShards + parityShards];
        Array.Fill(_present, true);
        for (var i = 0; i < lostDataShards; i++)
        {
            _present[i] = false;
        }
    }

    public ReedSolomonCodec Codec { get; }

    /// <summary>Data bytes per operation: the figure rates are given in.</summary>
    public long DataBytes { get; }

    public void Encode() => Codec.Encode(_shards);

    public void ReconstructData()
    {
        if (!Codec.TryReconstructData(_shards, _present, out var error))
        {
            throw new InvalidOperationException($"reconstruction failed: {error}");
        }
    }

    /// <summary>Whether the data shards still hold what was encoded (checked after a run, outside the timing).</summary>
    public bool DataIntact()
    {
        var length = _expected.Length / Codec.DataShards;
        for (var i = 0; i < Codec.DataShards; i++)
        {
            if (!_shards[i].Span.SequenceEqual(_expected.AsSpan(i * length, length)))
            {
                return false;
            }
        }

        return Codec.TryVerify(_shards, out _);
    }
}
