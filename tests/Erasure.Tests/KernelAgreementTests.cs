using Overlay.Erasure.Kernels;

namespace Overlay.Erasure.Tests;

/// <summary>Each vector kernel, forced, against the scalar kernel: same parity, same rebuilt shards.</summary>
public sealed class KernelAgreementTests
{
    // Lengths around every kernel's step (16 … 256 bytes) and the column blocks of multi-pass codes.
    private static readonly int[] Lengths = [1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 4096 + 7, 40_000];

    private static readonly (int K, int M)[] Codes = [(1, 1), (3, 2), (10, 4), (6, 9), (17, 5), (32, 32)];

    [Theory]
    [MemberData(nameof(Kernels.EachVector), MemberType = typeof(Kernels))]
    public void Encode_ForcedKernel_GivesTheScalarKernelsParity(string name)
    {
        var kernel = Kernels.Require(name);
        var random = new Random(11);
        foreach (var (k, m) in Codes)
        {
            var scalar = Kernels.Codec(k, m, GfKernel.Scalar);
            var vector = Kernels.Codec(k, m, kernel);
            foreach (var length in Lengths)
            {
                var data = new byte[k * length];
                random.NextBytes(data);
                var expected = new byte[m * length];
                var actual = new byte[m * length];
                scalar.Encode(data, expected);
                random.NextBytes(actual);
                vector.Encode(data, actual);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{k}+{m}, {length}-byte shards");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels.EachVector), MemberType = typeof(Kernels))]
    public void Reconstruct_ForcedKernel_RebuildsWhatTheScalarKernelEncoded(string name)
    {
        var kernel = Kernels.Require(name);
        var random = new Random(12);
        foreach (var (k, m) in Codes)
        {
            var scalar = Kernels.Codec(k, m, GfKernel.Scalar);
            var vector = Kernels.Codec(k, m, kernel);
            foreach (var length in Lengths)
            {
                var shards = Stripes.Encoded(scalar, length, random);
                var original = Stripes.Copy(shards);
                var present = Stripes.RandomPattern(k + m, random.Next(1, m + 1), random);
                Stripes.Erase(shards, present, random);
                Assert.True(vector.TryReconstruct(shards, present, out var error), $"{k}+{m}, {length}: {error}");
                Stripes.AssertShardsEqual(original, shards, k + m);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels.EachVector), MemberType = typeof(Kernels))]
    public void Encode_ShardsAtOddAddresses_GivesTheScalarKernelsParity(string name)
    {
        var kernel = Kernels.Require(name);
        var random = new Random(13);
        const int k = 7, m = 5, length = 777;
        var scalar = Kernels.Codec(k, m, GfKernel.Scalar);
        var vector = Kernels.Codec(k, m, kernel);
        var expected = Stripes.Encoded(scalar, length, random);

        // Every shard starts at a different offset into a larger buffer, none of them aligned.
        var buffer = new byte[(k + m) * (length + 64)];
        var shards = new Memory<byte>[k + m];
        for (var i = 0; i < k + m; i++)
        {
            shards[i] = buffer.AsMemory((i * (length + 64)) + 1 + (i * 3 % 61), length);
            if (i < k)
            {
                expected[i].Span.CopyTo(shards[i].Span);
            }
        }

        vector.Encode(shards);
        Stripes.AssertShardsEqual(Stripes.Copy(expected), shards, k + m);
    }
}
