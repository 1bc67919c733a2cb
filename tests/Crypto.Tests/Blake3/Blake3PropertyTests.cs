namespace Overlay.Crypto.Tests.Blake3Tests;

/// <summary>
/// Seeded random inputs: the incremental hasher, fed in any split, must give the one-shot's bytes. The
/// shard store relies on it: a put hashes its segments incrementally, <c>ShardId.Compute</c> in one shot,
/// and both must name the same shard.
/// </summary>
public sealed class Blake3PropertyTests
{
    // Lengths where the tree's shape changes: block and chunk edges, powers of two, and the many-chunk
    // widths (4, 8, 16 chunks side by side) and their multiples, each with its neighbours.
    private static int[] BoundaryLengths()
    {
        var lengths = new List<int> { 0, 1, 2, 31, 32, 33 };
        foreach (var anchor in new[] { 64, 128, 1024, 2048, 3072, 4096, 5 * 1024, 8192, 12 * 1024, 16384, 17 * 1024, 31 * 1024, 32768, 33 * 1024, 65536, 131072, 262144, 300 * 1024 })
        {
            lengths.Add(anchor - 1);
            lengths.Add(anchor);
            lengths.Add(anchor + 1);
        }

        return [.. lengths];
    }

    [Fact]
    public void Hasher_RandomSplits_EqualOneShot()
    {
        var random = new Random(2);
        var lengths = BoundaryLengths().Concat(Enumerable.Range(0, 20).Select(_ => random.Next(300 * 1024))).ToArray();
        var hasher = Blake3Hasher.Create();
        foreach (var length in lengths)
        {
            var input = new byte[length];
            random.NextBytes(input);
            var outputLength = 1 + random.Next(200);
            var expected = new byte[outputLength];
            Blake3.Hash(input, expected);

            // Cut points mix single bytes, odd sizes and large spans, so updates land on, before and
            // after chunk and subtree boundaries.
            hasher.Reset();
            var position = 0;
            var pieces = new List<int>();
            while (position < length)
            {
                var take = random.Next(4) switch
                {
                    0 => 1 + random.Next(64),
                    1 => 1 + random.Next(2048),
                    2 => 1024 * (1 + random.Next(40)),
                    _ => 1 + random.Next(length - position),
                };
                take = Math.Min(take, length - position);
                hasher.Update(input.AsSpan(position, take));
                pieces.Add(take);
                position += take;
            }

            var actual = new byte[outputLength];
            hasher.Finalize(actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"length {length}, pieces {string.Join(',', pieces)}");
        }
    }

    [Fact]
    public void Hasher_UpdatesOfWholeSubtrees_EqualOneShot()
    {
        // Inputs that end exactly on a subtree edge, fed in power-of-two pieces: the last two stacked
        // chaining values must become the root when finalized, not an ordinary parent.
        var random = new Random(3);
        foreach (var (pieceSize, pieceCount) in new[] { (1024, 2), (2048, 1), (4096, 3), (65536, 1), (65536, 2), (16384, 5), (1024, 33) })
        {
            var input = new byte[pieceSize * pieceCount];
            random.NextBytes(input);
            var hasher = Blake3Hasher.Create();
            for (var i = 0; i < pieceCount; i++)
            {
                hasher.Update(input.AsSpan(i * pieceSize, pieceSize));
            }

            var expected = new byte[64];
            var actual = new byte[64];
            Blake3.Hash(input, expected);
            hasher.Finalize(actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{pieceCount} × {pieceSize}");
        }
    }

    [Fact]
    public void Hasher_FinalizeTwice_GivesTheSameBytes_AndMoreInputMayFollow()
    {
        var input = new byte[5000];
        new Random(4).NextBytes(input);
        var hasher = Blake3Hasher.Create();
        hasher.Update(input.AsSpan(0, 3000));
        var first = new byte[32];
        var again = new byte[32];
        hasher.Finalize(first);
        hasher.Finalize(again);
        Assert.Equal(first, again);

        hasher.Update(input.AsSpan(3000));
        var whole = new byte[32];
        var expected = new byte[32];
        hasher.Finalize(whole);
        Blake3.Hash(input, expected);
        Assert.Equal(expected, whole);
    }

    [Fact]
    public void OneShotHash_DoesNotAllocate()
    {
        var input = new byte[1 << 20];
        var output = new byte[Blake3.HashSize];
        Blake3.Hash(input, output);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Blake3.Hash(input, output);
        Blake3.Hash(input.AsSpan(0, 64), output);
        Blake3.Hash(input.AsSpan(0, 1985), output);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void DeriveKey_DifferentContexts_GiveUnrelatedKeys()
    {
        var material = new byte[32];
        new Random(5).NextBytes(material);
        var a = new byte[32];
        var b = new byte[32];
        Blake3.DeriveKey("overlay test context A", material, a);
        Blake3.DeriveKey("overlay test context B", material, b);
        Assert.NotEqual(a, b);
        Assert.Throws<ArgumentNullException>("context", () => Blake3.DeriveKey(null!, material, a));
    }
}
