namespace Overlay.Erasure.Tests;

/// <summary>Decoding from any k shards: every pattern of small codes, seeded random patterns of large ones.</summary>
public sealed class ErasurePatternTests
{
    [Fact]
    public void TryReconstruct_EveryPatternOfEveryCodeUpToTenShards_RebuildsTheStripe()
    {
        var random = new Random(21);
        var patterns = 0;
        for (var n = 2; n <= 10; n++)
        {
            for (var k = 1; k < n; k++)
            {
                var m = n - k;
                var codec = new ReedSolomonCodec(k, m);
                var shards = Stripes.Encoded(codec, 131, random);
                var original = Stripes.Copy(shards);
                var present = new bool[n];
                for (var mask = 0; mask < (1 << n) - 1; mask++)
                {
                    var count = 0;
                    for (var i = 0; i < n; i++)
                    {
                        present[i] = (mask & (1 << i)) != 0;
                        count += present[i] ? 1 : 0;
                    }

                    for (var i = 0; i < n; i++)
                    {
                        original[i].CopyTo(shards[i]);
                    }

                    Stripes.Erase(shards, present, random);
                    var damaged = Stripes.Copy(shards);
                    if (count < k)
                    {
                        Assert.False(codec.TryReconstruct(shards, present, out var refused));
                        Assert.Equal(ErasureError.TooFewShards, refused);
                        Stripes.AssertShardsEqual(damaged, shards, n);
                        continue;
                    }

                    Assert.True(codec.TryReconstructData(shards, present, out var error), $"{k}+{m} mask {mask:b}: {error}");
                    Stripes.AssertShardsEqual(original, shards, k);
                    for (var i = k; i < n; i++)
                    {
                        Assert.True(damaged[i].AsSpan().SequenceEqual(shards[i].Span), $"{k}+{m} mask {mask:b}: data-only rebuild wrote parity shard {i}");
                    }

                    Assert.True(codec.TryReconstruct(shards, present, out error), $"{k}+{m} mask {mask:b}: {error}");
                    Stripes.AssertShardsEqual(original, shards, n);
                    patterns++;
                }
            }
        }

        // Σ over n ≤ 10 and k < n of the subsets with at least k members, less the full set.
        Assert.Equal(ExpectedDecodablePatterns(), patterns);
    }

    [Theory]
    [InlineData(10, 4, 200)]
    [InlineData(20, 20, 40)]
    [InlineData(64, 32, 20)]
    [InlineData(100, 28, 10)]
    [InlineData(128, 128, 6)]
    [InlineData(200, 56, 6)]
    [InlineData(255, 1, 6)]
    [InlineData(1, 255, 6)]
    public void TryReconstruct_RandomPatternsOfLargeCodes_RebuildsTheStripe(int k, int m, int trials)
    {
        var random = new Random((k * 1000) + m);
        var codec = new ReedSolomonCodec(k, m);
        var shards = Stripes.Encoded(codec, 300, random);
        var original = Stripes.Copy(shards);
        for (var trial = 0; trial < trials; trial++)
        {
            var lost = trial == 0 ? m : random.Next(1, m + 1);
            var present = Stripes.RandomPattern(k + m, lost, random);
            Stripes.Erase(shards, present, random);
            Assert.True(codec.TryReconstruct(shards, present, out var error), $"trial {trial}: {error}");
            Stripes.AssertShardsEqual(original, shards, k + m);
        }
    }

    [Fact]
    public void TryReconstruct_MoreThanKShardsPresent_UsesAnyKAndRebuildsTheRest()
    {
        var random = new Random(22);
        var codec = new ReedSolomonCodec(6, 6);
        var shards = Stripes.Encoded(codec, 500, random);
        var original = Stripes.Copy(shards);
        bool[] present = [false, true, true, false, true, true, true, true, true, true, false, true];
        Stripes.Erase(shards, present, random);
        Assert.True(codec.TryReconstruct(shards, present, out _));
        Stripes.AssertShardsEqual(original, shards, 12);
    }

    [Fact]
    public void TryReconstructData_MissingParityBuffersEmpty_RebuildsTheData()
    {
        var random = new Random(23);
        var codec = new ReedSolomonCodec(4, 3);
        var shards = Stripes.Encoded(codec, 100, random);
        var original = Stripes.Copy(shards);
        bool[] present = [false, true, true, true, true, false, false];
        shards[5] = Memory<byte>.Empty;
        shards[6] = Memory<byte>.Empty;
        Stripes.Erase(shards, present, random);
        Assert.True(codec.TryReconstructData(shards, present, out var error), error.ToString());
        Stripes.AssertShardsEqual(original, shards, 4);
    }

    [Fact]
    public void TryReconstruct_NothingMissing_SucceedsAndWritesNothing()
    {
        var random = new Random(24);
        var codec = new ReedSolomonCodec(3, 2);
        var shards = Stripes.Encoded(codec, 10, random);
        shards[4].Span[0] ^= 1; // a corrupt parity shard marked present is the caller's claim; nothing is rewritten
        var before = Stripes.Copy(shards);
        var present = new bool[5];
        Array.Fill(present, true);
        Assert.True(codec.TryReconstruct(shards, present, out _));
        Stripes.AssertShardsEqual(before, shards, 5);
    }

    private static int ExpectedDecodablePatterns()
    {
        var total = 0;
        for (var n = 2; n <= 10; n++)
        {
            for (var k = 1; k < n; k++)
            {
                for (var present = k; present < n; present++)
                {
                    total += Binomial(n, present);
                }
            }
        }

        return total;
    }

    private static int Binomial(int n, int r)
    {
        long result = 1;
        for (var i = 1; i <= r; i++)
        {
            result = result * (n - r + i) / i;
        }

        return (int)result;
    }
}
