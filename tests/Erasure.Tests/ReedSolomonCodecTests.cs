using Overlay.Erasure.Galois;

namespace Overlay.Erasure.Tests;

/// <summary>The code's algebra, checked through the public API.</summary>
public sealed class ReedSolomonCodecTests
{
    [Fact]
    public void Encode_UnitDataByte_GivesTheCauchyColumn()
    {
        // With data shard j holding a single 1 at byte x, parity shard i holds C[i][j] = 1 / ((k + i) ⊕ j) there.
        const int k = 5, m = 3, length = 9;
        var codec = new ReedSolomonCodec(k, m);
        for (var j = 0; j < k; j++)
        {
            var data = new byte[k * length];
            data[(j * length) + 4] = 1;
            var parity = new byte[m * length];
            codec.Encode(data, parity);
            for (var i = 0; i < m; i++)
            {
                for (var x = 0; x < length; x++)
                {
                    var expected = x == 4 ? GaloisField.Inverse((byte)((k + i) ^ j)) : 0;
                    Assert.Equal(expected, parity[(i * length) + x]);
                }
            }
        }
    }

    [Fact]
    public void Encode_IsLinear_ParityOfASumIsTheSumOfParities()
    {
        var random = new Random(31);
        var codec = new ReedSolomonCodec(10, 4);
        const int length = 1000;
        var a = new byte[10 * length];
        var b = new byte[10 * length];
        random.NextBytes(a);
        random.NextBytes(b);
        var sum = a.Zip(b, (x, y) => (byte)(x ^ y)).ToArray();
        var scaled = a.Select(x => GaloisField.Multiply(x, 0x53)).ToArray();
        var (pa, pb, psum, pscaled) = (new byte[4 * length], new byte[4 * length], new byte[4 * length], new byte[4 * length]);
        codec.Encode(a, pa);
        codec.Encode(b, pb);
        codec.Encode(sum, psum);
        codec.Encode(scaled, pscaled);
        for (var i = 0; i < pa.Length; i++)
        {
            Assert.Equal(pa[i] ^ pb[i], psum[i]);
            Assert.Equal(GaloisField.Multiply(pa[i], 0x53), pscaled[i]);
        }

        var zeroParity = new byte[4 * length];
        random.NextBytes(zeroParity);
        codec.Encode(new byte[10 * length], zeroParity);
        Assert.All(zeroParity, x => Assert.Equal(0, x));
    }

    [Fact]
    public void Encode_ContiguousAndPerShard_GiveTheSameParity()
    {
        var random = new Random(32);
        var codec = new ReedSolomonCodec(6, 3);
        var shards = Stripes.Encoded(codec, 333, random);
        var data = new byte[6 * 333];
        for (var i = 0; i < 6; i++)
        {
            shards[i].Span.CopyTo(data.AsSpan(i * 333));
        }

        var parity = new byte[3 * 333];
        codec.Encode(data, parity);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(parity.AsSpan(i * 333, 333).SequenceEqual(shards[6 + i].Span));
        }
    }

    [Fact]
    public void TryVerify_EncodedStripe_IsConsistent()
    {
        var codec = new ReedSolomonCodec(10, 4);
        var shards = Stripes.Encoded(codec, 70_001, new Random(33));
        Assert.True(codec.TryVerify(shards, out var error));
        Assert.Equal(ErasureError.None, error);
    }

    [Fact]
    public void TryVerify_AnySingleByteChanged_ReportsParityMismatch()
    {
        var random = new Random(34);
        foreach (var (k, m, length) in new[] { (10, 4, 70_001), (3, 9, 17), (1, 1, 1) })
        {
            var codec = new ReedSolomonCodec(k, m);
            var shards = Stripes.Encoded(codec, length, random);
            for (var trial = 0; trial < 100; trial++)
            {
                var shard = random.Next(k + m);
                var at = random.Next(length);
                var flip = (byte)random.Next(1, 256);
                shards[shard].Span[at] ^= flip;
                Assert.False(codec.TryVerify(shards, out var error), $"{k}+{m}: shard {shard} byte {at}");
                Assert.Equal(ErasureError.ParityMismatch, error);
                shards[shard].Span[at] ^= flip;
            }

            Assert.True(codec.TryVerify(shards, out _));
        }
    }

    [Fact]
    public void Properties_DescribeTheCode()
    {
        var codec = new ReedSolomonCodec(17, 3);
        Assert.Equal((17, 3, 20), (codec.DataShards, codec.ParityShards, codec.TotalShards));
        Assert.True(ReedSolomonCodec.TryCreate(128, 128, out var largest, out var error));
        Assert.Equal(ErasureError.None, error);
        Assert.Equal(256, largest.TotalShards);
    }

    [Fact]
    public void Codec_SharedBetweenThreads_RebuildsEveryStripe()
    {
        // Small cache budget: threads add, hit and evict plans at once.
        var codec = new ReedSolomonCodec(8, 4, decodeCacheBytes: 4096);
        var failures = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var random = new Random(100 + worker);
            for (var trial = 0; trial < 100; trial++)
            {
                var shards = Stripes.Encoded(codec, 200, random);
                var original = Stripes.Copy(shards);
                var present = Stripes.RandomPattern(12, random.Next(1, 5), random);
                Stripes.Erase(shards, present, random);
                if (!codec.TryReconstruct(shards, present, out _) || Enumerable.Range(0, 12).Any(i => !original[i].AsSpan().SequenceEqual(shards[i].Span)))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);
    }
}
